"""The graphql-core and strawberry internals the engine relies on, as the canary
(`tests/schema/_engine/test_canary.py`) checks them after every upgrade.

`schema/_engine/__init__.py`'s docstring lists the same entries, one bullet each,
with where each is used and what we rely on (the canary checks that the two lists
agree). Nothing here runs in the gateway: it is the fence's inventory.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Internal:
    """One name the engine relies on, found as `module:qualified.name`.

    - `parameters`: the signature's parameter names, in order (methods we override
      or call positionally; graphql-core calls the overrides positionally);
    - `keywords`: parameter names the callable must still accept (we pass them by name);
    - `attributes`: attributes an *instance* has (the canary builds one from a tiny
      schema, without the engine);
    - `fingerprint`: the shape of the code of a graphql-core method whose logic the
      engine repeats or overrides (`fingerprint` in the canary: its source without
      docstring, comments or blank lines). A changed body fails the canary until
      someone has read it against the engine.
    """

    name: str
    parameters: tuple[str, ...] | None = None
    keywords: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    fingerprint: str | None = None

    @property
    def short(self) -> str:
        """The qualified name, as the docstring's bullet names it."""
        return self.name.partition(":")[2]


_EXECUTOR = "graphql.execution.executor:Executor"
# complete_value and friends take these, in this order.
_COMPLETING = (
    "self",
    "return_type",
    "field_details_list",
    "info",
    "path",
    "result",
    "position_context",
)

INTERNALS: tuple[Internal, ...] = (
    # graphql-core's executor, which strawberry's execution context subclasses.
    Internal(
        _EXECUTOR,
        attributes=(
            "async_helpers",
            "middleware_manager",
            "collected_errors",
            "context_value",
            "fragment_definitions",
            "is_awaitable",
        ),
    ),
    Internal(
        f"{_EXECUTOR}.execute_field",
        parameters=(
            "self",
            "parent_type",
            "source",
            "field_details_list",
            "path",
            "position_context",
        ),
        fingerprint="6ca35eae783fbb73",
    ),
    Internal(
        f"{_EXECUTOR}.execute_fields",
        parameters=(
            "self",
            "parent_type",
            "source_value",
            "path",
            "grouped_field_set",
            "position_context",
        ),
        fingerprint="30b1593a720ccea6",
    ),
    Internal(
        f"{_EXECUTOR}.complete_object_value",
        parameters=_COMPLETING,
        fingerprint="8595ab91ffdab0a7",
    ),
    Internal(
        f"{_EXECUTOR}.complete_value",
        parameters=_COMPLETING,
        fingerprint="5f607b4a5b2d7fdf",
    ),
    Internal(
        f"{_EXECUTOR}.complete_list_value",
        parameters=_COMPLETING,
        fingerprint="73ea3abb52941466",
    ),
    Internal(
        f"{_EXECUTOR}.complete_iterable_value",
        parameters=(
            "self",
            "item_type",
            "field_details_list",
            "info",
            "path",
            "items",
            "position_context",
        ),
        fingerprint="5deead2b0202e137",
    ),
    Internal(
        f"{_EXECUTOR}.complete_list_item_value",
        parameters=(
            "self",
            "item",
            "complete_results",
            "item_type",
            "field_details_list",
            "info",
            "item_path",
            "position_context",
        ),
        fingerprint="3eadbc99f0516169",
    ),
    Internal(
        f"{_EXECUTOR}.complete_leaf_value",
        parameters=("return_type", "result"),
        fingerprint="b11dfa6f37384b0c",
    ),
    Internal(
        f"{_EXECUTOR}.handle_field_error",
        parameters=("self", "raw_error", "return_type", "field_details_list", "path"),
    ),
    Internal(f"{_EXECUTOR}.gather_async_work", parameters=("self", "values")),
    Internal(f"{_EXECUTOR}.track_async_work", parameters=("self", "values")),
    Internal("graphql:GraphQLResolveInfoHelpers", parameters=("gather", "track")),
    Internal("graphql.execution.middleware:MiddlewareManager", attributes=("middlewares",)),
    Internal(
        "graphql.execution.collect_fields:FieldDetails",
        parameters=("node", "defer_usage", "fragment_variable_values"),
    ),
    Internal("graphql.execution.collect_fields:FieldDetailsList"),
    Internal("graphql.execution.collect_fields:GroupedFieldSet"),
    Internal("graphql.pyutils:Path"),
    Internal("graphql.pyutils:AwaitableOrValue"),
    Internal("graphql.type.scalars:GRAPHQL_MIN_INT"),
    Internal("graphql.type.scalars:GRAPHQL_MAX_INT"),
    Internal("graphql:GraphQLScalarType", attributes=("coerce_output_value",)),
    Internal("graphql:GraphQLEnumType.coerce_output_value", parameters=("self", "output_value")),
    Internal("graphql:GraphQLObjectType", attributes=("is_type_of",)),
    Internal("graphql:Visitor"),
    # strawberry's execution context and schema conversion.
    Internal("strawberry.schema.schema:StrawberryGraphQLCoreExecutionContext"),
    Internal(
        "strawberry.schema.schema:StrawberryGraphQLCoreExecutionContext.build_resolve_info",
        parameters=("self", "field_def", "field_nodes", "parent_type", "path"),
    ),
    Internal("strawberry.schema.schema:Schema.__init__", keywords=("execution_context_class",)),
    Internal("strawberry.schema.schema_converter:GraphQLCoreConverter.DEFINITION_BACKREF"),
    Internal(
        "strawberry.schema.schema_converter:GraphQLCoreConverter.from_resolver",
        parameters=("self", "field"),
        attributes=("_is_default",),
    ),
    Internal(
        "strawberry.types.field:StrawberryField",
        attributes=("is_basic_field", "python_name", "default_resolver", "metadata"),
    ),
    Internal(
        "strawberry.schema.schema_converter:CustomGraphQLEnumType",
        attributes=("wrapped_cls", "values"),
    ),
    # Outside the engine, in the same fence.
    Internal(
        "strawberry.schema.name_converter:NameConverter.__init__",
        parameters=("self", "auto_camel_case"),
    ),
    Internal(
        "strawberry.schema.name_converter:NameConverter.apply_naming_config",
        parameters=("self", "name"),
    ),
    Internal("strawberry.types.info:Info", attributes=("_raw_info",)),
    Internal("strawberry.schema.schema:Schema", attributes=("_schema",)),
    Internal("graphql.execution.values:VariableValues", parameters=("sources", "coerced")),
    Internal(
        "graphql.execution.values:get_argument_values",
        parameters=(
            "type_def",
            "node",
            "variable_values",
            "fragment_variable_values",
            "hide_suggestions",
        ),
    ),
    Internal(
        "graphql.execution.values:get_directive_values",
        parameters=(
            "directive_def",
            "node",
            "variable_values",
            "fragment_variable_values",
            "hide_suggestions",
        ),
    ),
)
