"""The fast executor, private to `schema`: plain selections compiled into Python,
values at hand served without the resolver machinery, snapshot answers kept.

One entry point, `execution_context_class`, gives the class strawberry executes
with; `at_hand` is how a field declares a value it can serve synchronously, and
`strawberry_field`/`declared_metadata` how `schema` reads a served field's
declarations (schema/cost.py reads the costs with them).
Everything here is an optimisation: a schema built without it (the
`FAST_EXECUTION=false` setting) answers the same, and `make test` runs the whole
suite both ways.

The fence
---------
The engine overrides graphql-core's executor and reads strawberry's private
attributes, so an upgrade could leave it answering the old way. These are every
graphql-core and strawberry internal it relies on: the name, where it is used,
and what we rely on. `_internals.INTERNALS` holds the same entries as data, and
the canary (`tests/schema/_engine/test_canary.py`) checks each one still exists,
with the signature, the instance attributes and, for the executor's methods the
engine overrides or writes out ("fingerprinted"), the code it was read against;
it also checks the behaviour each bullet states, and that this list and
`INTERNALS` agree. pyproject.toml bounds both packages to the minor versions
checked (graphql-core 3.3, strawberry 0.341).

graphql-core's executor (`graphql.execution.executor`), the base of strawberry's:

- `Executor` (execution.py, `PlainSubtreeExecution`): an executor has
  .async_helpers (the `GraphQLResolveInfoHelpers` build_resolve_info hands to
  resolvers; replaced in `__init__` by ones holding the executor weakly, else each
  request is a reference cycle), .middleware_manager (its .middlewares are
  strawberry's extensions with a `resolve` hook; the engine stands aside unless
  there are none), .collected_errors (.errors: this request's errors so far; an
  answer is kept only if completing it added none), .context_value,
  .fragment_definitions (the document's fragments by name) and .is_awaitable.
- `Executor.execute_field` (parent_type, source, field_details_list, path,
  position_context), overridden for values at hand: graphql-core executes every
  field through it (from execute_fields), passing its memoised field list;
  `_complete_resolved` repeats its steps after the resolver has returned
  (build_resolve_info, complete_value, handle_field_error, the same when the
  completion is awaitable). Fingerprinted.
- `Executor.execute_fields` (parent_type, source_value, path, grouped_field_set,
  position_context), overridden so that plain fields are read directly: every
  object's fields are executed through it, answered in the grouped field set's
  order, a field the schema lacks (Undefined) left out, as `_merge` does. Fingerprinted.
- `Executor.complete_object_value` (return_type, field_details_list, info, path,
  result, position_context), overridden for kept answers and compiled objects:
  complete_value completes every object value through it, after its null and
  error checks; its own step, is_type_of, compiled code leaves to it. Fingerprinted.
- `Executor.complete_value` (return_type, field_details_list, info, path, result,
  position_context): `_complete_resolved` calls it; compiled code
  (compiler.py `_Code.complete`) writes out its steps: an Exception raises,
  non-null checks, None or Undefined is null, then lists, leaves and objects;
  abstract types are left to it. Fingerprinted.
- `Executor.complete_list_value` (return_type, field_details_list, info, path,
  result, position_context): compiled code (`_Code._list`) writes out list
  completion for a list or tuple, anything else (async iterables, other
  iterables, streams) left to it. Fingerprinted.
- `Executor.complete_iterable_value` (item_type, field_details_list, info, path,
  items, position_context): each item completed in order, as `_Code._list`
  does. Fingerprinted.
- `Executor.complete_list_item_value` (item, complete_results, item_type,
  field_details_list, info, item_path, position_context): an item's error is
  located at the item; compiled code gives up instead, and graphql-core completes
  the whole value again (so the error gets this path). Fingerprinted.
- `Executor.complete_leaf_value` (return_type, result): compiled code (`_Code._leaf`)
  writes it out: `return_type.coerce_output_value(result)`, a None or Undefined
  coerced value an error. Fingerprinted.
- `Executor.handle_field_error` (raw_error, return_type, field_details_list, path):
  `_complete_resolved` reports errors through it, as execute_field does.
- `Executor.gather_async_work` (values) and
- `Executor.track_async_work` (values): what the weak helpers (`_weak_helpers`) call.
- `GraphQLResolveInfoHelpers` (gather, track): `_weak_helpers` builds one.
- `MiddlewareManager` .middlewares (`graphql.execution.middleware`): see `Executor`.
- `FieldDetails` (node, defer_usage, fragment_variable_values)
  (`graphql.execution.collect_fields`): execution.py reads a field's node; a
  defer usage or fragment variables make its selection per request, so it is
  neither compiled nor kept (`_static_nodes`).
- `FieldDetailsList`: a list of FieldDetails; the per-request tables are keyed
  by the identity of graphql-core's memoised lists (for speed only).
- `GroupedFieldSet`: a dict of response names to FieldDetailsList; execute_fields
  hands graphql-core one it built, of the fields left to it.
- `Path` and
- `AwaitableOrValue` (`graphql.pyutils`): the paths passed through, annotations.
- `GRAPHQL_MIN_INT` and
- `GRAPHQL_MAX_INT` (`graphql.type.scalars`): Int writes an int in that range as
  it is (compiler.py `_AS_IS`).
- `GraphQLScalarType` .coerce_output_value: what complete_leaf_value calls
  (graphql-core 3.2 called it serialize); the built-in String, ID, Boolean, Float
  and Int, the very objects strawberry maps str, ID, bool, float and int to, write
  a str, a str, a bool, a finite float and an Int-ranged int as they are, which
  `_AS_IS` inlines.
- `GraphQLEnumType.coerce_output_value` (output_value): the same, for enums.
- `GraphQLObjectType` .is_type_of: compiled code leaves a type that has one to
  graphql-core (`_Code.object`).
- `Visitor`: `visit` calls a visitor's enter_variable and enter_fragment_spread by
  node kind, which is how `_uses_variables` finds that a selection uses a
  variable: such an answer is never kept.

strawberry:

- `StrawberryGraphQLCoreExecutionContext` (`strawberry.schema.schema`): the
  engine's base class, strawberry's own executor (a graphql-core Executor),
  constructed with whatever strawberry passes.
- `StrawberryGraphQLCoreExecutionContext.build_resolve_info` (field_def,
  field_nodes, parent_type, path): `_complete_resolved` builds the info a value at
  hand is completed with.
- `Schema.__init__` (execution_context_class): `schema.build_schema` passes the
  engine's class; strawberry executes every operation with an instance of it.
- `GraphQLCoreConverter.DEFINITION_BACKREF` (`strawberry.schema.schema_converter`):
  a GraphQLField's extensions hold its StrawberryField under this key
  (read only by at_hand.py `strawberry_field`, through which at_hand.py
  `declared`, compiler.py `_read` and, outside the engine, schema/cost.py
  `declared_cost` read it; cost's test fails if a field's cost is lost).
- `GraphQLCoreConverter.from_resolver` (field) ._is_default: the resolver it makes
  for a field without one of its own is marked _is_default, returns
  `field.default_resolver(source, field.python_name)`, and may be called with
  None for info (compiler.py `_read` reads the attribute, or calls it so).
- `StrawberryField` (`strawberry.types.field`) .is_basic_field, .python_name,
  .default_resolver, .metadata: is_basic_field means no resolver and no field
  extensions (so nothing runs but the read); python_name is the attribute read;
  default_resolver is the config's (getattr unless configured); metadata is
  `strawberry.field(metadata=...)` as given (at_hand.py; schema/cost.py's costs).
- `CustomGraphQLEnumType` .wrapped_cls, .values: strawberry's enum types write a
  member of wrapped_cls as the first name in values whose value is the member's
  value (compiler.py `_enum_names`).

Outside the engine, in the same fence:

- `NameConverter.__init__` (auto_camel_case) and
- `NameConverter.apply_naming_config` (name): schema/names.py remembers the
  conversions; strawberry converts every name through apply_naming_config, and
  the result depends on the name alone.
- `Info` ._raw_info (`strawberry.types.info`): schema/customer.py reads
  graphql-core's resolve info (.schema, .variable_values, .fragments, .field_nodes).
- `Schema` ._schema: graphql-core's schema (gateway/operations: _served_schema.py,
  _guard.py).
- `VariableValues` (sources, coerced),
- `get_argument_values` (type_def, node, variable_values, fragment_variable_values,
  hide_suggestions) and
- `get_directive_values` (directive_def, node, variable_values,
  fragment_variable_values, hide_suggestions) (`graphql.execution.values`):
  schema/customer.py coerces a selection's arguments as graphql-core does.
"""

from __future__ import annotations

from collections.abc import Mapping

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema._engine.at_hand import at_hand, declared_metadata, strawberry_field
from schema._engine.execution import (
    CompiledSelections,
    CompletedSubtrees,
    RecordOf,
    compiled_execution,
)


def execution_context_class(
    snapshots: Mapping[str, RecordOf], kept_answers: int
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """The execution context for a schema: `snapshots` names the types whose
    answers are a function of one record (kept up to `kept_answers` of them)."""
    return compiled_execution(
        CompiledSelections(), CompletedSubtrees(dict(snapshots), kept_answers)
    )


__all__ = ["at_hand", "declared_metadata", "execution_context_class", "strawberry_field"]
