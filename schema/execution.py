"""Plain subtrees completed by compiled functions instead of field by field.

Most of a customer's answer is records read attribute by attribute: restrictions,
timelines, rulesets, rules, actions. graphql-core completes each of those fields
through its general machinery (resolve info, path, awaitable checks, error
handling), which costs far more than reading the attribute. A *plain subtree* is
a selection on an object type where every selected field is a strawberry field
with no resolver (an attribute), no arguments, no directives and no abstract
type below it. Its selection is compiled once into a function from the source
object to the response dict.

graphql-core still runs every field that has a resolver (loaders, connections,
stale marking), and the whole operation when schema extensions hook fields.

A compiled function returns exactly what graphql-core would, or gives up: on any
error (a null in a non-null field, a value a scalar cannot serialize, a list that
is not a list) it raises, and graphql-core completes that object again the usual
way, so errors carry the same messages and paths. Re-running is safe: plain
fields only read attributes of the strawberry objects built from records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from cachetools import LRUCache
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Complete = Callable[[Any], Any]

# Compiled selections kept across requests, keyed by the identity of their field
# nodes (documents are cached, so the same text gives the same nodes).
MAX_COMPILED_SELECTIONS = 2048


class GiveUp(Exception):
    """The compiled function met something only graphql-core reports properly."""


class CompiledSelections:
    """Compiled plain subtrees by (object type, field nodes), most recent kept."""

    def __init__(self, max_entries: int = MAX_COMPILED_SELECTIONS) -> None:
        # The nodes are held with the function so that their ids stay theirs.
        self._entries: LRUCache[
            tuple[str, tuple[int, ...]], tuple[list[FieldNode], Complete | None]
        ]
        self._entries = LRUCache(max_entries)

    def get(
        self,
        object_type: GraphQLObjectType,
        nodes: list[FieldNode],
        fragments: dict[str, FragmentDefinitionNode],
    ) -> Complete | None:
        key = (object_type.name, tuple(map(id, nodes)))
        found = self._entries.get(key)
        if found is None:
            found = (nodes, compile_object(object_type, nodes, fragments))
            self._entries[key] = found
        return found[1]


def compiled_execution(
    compiled: CompiledSelections,
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """An execution context class that completes plain subtrees with `compiled`."""

    class Execution(PlainSubtreeExecution):
        selections = compiled

    return Execution


class PlainSubtreeExecution(StrawberryGraphQLCoreExecutionContext):
    selections: CompiledSelections

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per request, by the identity of graphql-core's memoised field lists.
        self._completions: dict[tuple[str, int], tuple[FieldDetailsList, Complete | None]] = {}
        # Field-level middleware (extensions with a resolve hook) must see every field.
        middleware = self.middleware_manager
        self._enabled = middleware is None or not middleware.middlewares

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        complete = self._completion(return_type, field_details_list)
        if complete is not None:
            try:
                completed: dict[str, Any] = complete(result)
                return completed
            except Exception:  # graphql-core completes it again and reports what went wrong
                pass
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _completion(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Complete | None:
        if not self._enabled:
            return None
        key = (return_type.name, id(field_details_list))
        found = self._completions.get(key)
        if found is None:
            complete = None
            if all(
                d.defer_usage is None and d.fragment_variable_values is None
                for d in field_details_list
            ):
                nodes = [details.node for details in field_details_list]
                complete = self.selections.get(return_type, nodes, self.fragment_definitions)
            found = (field_details_list, complete)
            self._completions[key] = found
        return found[1]


def compile_object(
    object_type: GraphQLObjectType,
    nodes: Sequence[FieldNode],
    fragments: dict[str, FragmentDefinitionNode],
) -> Complete | None:
    """A function completing `object_type` for the selections of `nodes`, or None
    when the subtree is not plain."""
    if object_type.is_type_of is not None:
        return None
    grouped: dict[str, list[FieldNode]] = {}
    visited: set[str] = set()
    for node in nodes:
        selections = node.selection_set
        if selections is None or not _collect(selections, object_type, fragments, grouped, visited):
            return None
    parts: list[tuple[str, Complete, Complete]] = []
    for response_name, group in grouped.items():
        first = group[0]
        name = first.name.value
        if name == "__typename":
            parts.append((response_name, _constant(object_type.name), _identity))
            continue
        field = object_type.fields.get(name)
        if field is None or field.args or first.arguments:
            return None
        read = _attribute(field)
        complete = _compile_type(field.type, group, fragments)
        if read is None or complete is None:
            return None
        parts.append((response_name, read, complete))

    def complete_object(source: Any) -> dict[str, Any]:
        return {name: complete(read(source)) for name, read, complete in parts}

    return complete_object


def _collect(
    selection_set: SelectionSetNode,
    object_type: GraphQLObjectType,
    fragments: dict[str, FragmentDefinitionNode],
    grouped: dict[str, list[FieldNode]],
    visited: set[str],
) -> bool:
    """Group the selected fields by response name, as graphql-core does; False if
    anything depends on variables or on the runtime type."""
    for selection in selection_set.selections:
        if selection.directives:
            return False
        if isinstance(selection, FieldNode):
            response_name = (selection.alias or selection.name).value
            grouped.setdefault(response_name, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is not None and condition.name.value != object_type.name:
                return False
            if not _collect(selection.selection_set, object_type, fragments, grouped, visited):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in visited:
                continue
            visited.add(name)
            fragment = fragments.get(name)
            if (
                fragment is None
                or fragment.directives
                or fragment.variable_definitions
                or fragment.type_condition.name.value != object_type.name
            ):
                return False
            if not _collect(fragment.selection_set, object_type, fragments, grouped, visited):
                return False
        else:
            return False
    return True


def _attribute(field: GraphQLField) -> Complete | None:
    """How strawberry reads a field with no resolver; None for any other field."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    resolve = field.resolve
    if (
        not isinstance(definition, StrawberryField)
        or not definition.is_basic_field
        or resolve is None
        or not getattr(resolve, "_is_default", False)
    ):
        return None
    if definition.default_resolver is getattr:
        return attrgetter(definition.python_name)
    return lambda source: resolve(source, None)


def _compile_type(
    type_: GraphQLOutputType,
    nodes: list[FieldNode],
    fragments: dict[str, FragmentDefinitionNode],
) -> Complete | None:
    if is_non_null_type(type_):
        inner = _compile_type(type_.of_type, nodes, fragments)
        return None if inner is None else _non_null(inner)
    if is_list_type(type_):
        item = _compile_type(type_.of_type, nodes, fragments)
        return None if item is None else _list_of(item)
    if is_leaf_type(type_):
        return _leaf(type_.coerce_output_value)
    if is_object_type(type_):
        complete = compile_object(type_, nodes, fragments)
        return None if complete is None else _nullable_object(complete)
    return None  # interfaces and unions: the runtime type decides


def _non_null(inner: Complete) -> Complete:
    def complete_non_null(value: Any) -> Any:
        completed = inner(value)
        if completed is None:
            raise GiveUp
        return completed

    return complete_non_null


def _list_of(item: Complete) -> Complete:
    def complete_list(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            raise GiveUp
        return [item(element) for element in value]

    return complete_list


def _leaf(coerce: Complete) -> Complete:
    def complete_leaf(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise GiveUp
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise GiveUp
        return coerced

    return complete_leaf


def _nullable_object(complete: Complete) -> Complete:
    def complete_object(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise GiveUp
        return complete(value)

    return complete_object


def _constant(value: str) -> Complete:
    return lambda _source: value


def _identity(value: Any) -> Any:
    return value
