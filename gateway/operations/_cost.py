"""The most upstream calls an operation can make, worked out before it runs.

From the document and its variables, and the cost each field declares next to
it in the schema (`schema/cost.py`: one read by id, one list call per page a
window can span, the lookups a customer's selections ask for, a selection run
once per item of the connection above it, and so on). This module knows no
field by name. Caches and de-duplication can only lower the real count, never
raise it. Fragments are costed once per context and reused, so this is linear
in the document too.

`CostEstimates` remembers estimates per document: an estimate reads the
variables only where they set a `first`, so the same query asked for many
customers is costed once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from resolvers.pagination import DEFAULT_FIRST, MAX_FIRST
from schema.cost import FREE, Calls, FieldCost, Selection, declared_cost


@dataclass(frozen=True, slots=True)
class Cost:
    calls: int = 0
    lookups: int = 0  # ONE_LOOKUP selections, for the LOOKUPS field above to make

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.calls + other.calls, self.lookups + other.lookups)

    def times(self, items: int) -> Cost:
        return Cost(self.calls * items, self.lookups * items)


@dataclass(frozen=True, slots=True)
class _Context:
    items: int = 1  # how many times this selection runs (the lists above it)
    first: int = 1  # the size of the connection whose fields these are
    with_details: bool = False  # what is here came with all its details (by id)


def estimate_upstream_calls(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    *,
    list_page_size: int,
) -> int:
    estimate, _read = _estimate(schema, document, operation_name, variables, list_page_size)
    return estimate


# Per remembered document: the estimate by the `first` each read variable sets.
_SETTINGS_PER_DOCUMENT = 64


@dataclass(frozen=True, slots=True)
class _Remembered:
    document: DocumentNode  # kept alive, so its id is not reused
    read: tuple[str, ...]  # the variables the estimate read, each setting a `first`
    by_firsts: dict[tuple[int | None, ...], int]


class CostEstimates:
    """`estimate_upstream_calls`, remembered for the most recent documents."""

    def __init__(self, *, list_page_size: int, max_documents: int) -> None:
        self._list_page_size = list_page_size
        self._remembered: LRUCache[tuple[int, str | None], _Remembered] | None = (
            LRUCache(max_documents) if max_documents > 0 else None
        )

    def estimate(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> int:
        variables = variables or {}
        key = (id(document), operation_name)
        remembered = self._remembered.get(key) if self._remembered is not None else None
        if remembered is not None and remembered.document is not document:
            remembered = None  # another document under a reused id
        if remembered is not None:
            found = remembered.by_firsts.get(_firsts(remembered.read, variables))
            if found is not None:
                return found
        estimate, read = _estimate(
            schema, document, operation_name, variables, self._list_page_size
        )
        if self._remembered is None:
            return estimate
        if remembered is None:
            remembered = _Remembered(document, tuple(sorted(read)), {})
            self._remembered[key] = remembered
        if len(remembered.by_firsts) < _SETTINGS_PER_DOCUMENT:
            remembered.by_firsts[_firsts(remembered.read, variables)] = estimate
        return estimate


def _firsts(names: tuple[str, ...], variables: Mapping[str, Any]) -> tuple[int | None, ...]:
    """What each variable sets its `first` to; None for "not given" (the default)."""
    values = (variables.get(name) for name in names)
    return tuple(None if value is None else _window(value) for value in values)


def _estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    list_page_size: int,
) -> tuple[int, set[str]]:
    """The estimate, and the names of the variables it read."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    estimator = _Estimator(schema, document, variables or {}, list_page_size)
    root = schema.query_type
    if root is None:
        return 0, set()
    worst = 0
    for operation in operations:
        defaults = {
            d.variable.name.value: d.default_value
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        estimator.defaults = defaults
        cost = estimator.selection_set(root, operation.selection_set, _Context())
        worst = max(worst, cost.calls)
    return worst, estimator.read


# An object type's fields, each with the rule it declares and the name of the type
# below it: names, not types, since a type holds on to its schema, and a value
# holding its key would keep it in _DECLARED (and the schema alive) for good.
_Fields = dict[str, tuple[FieldCost, str]]
# Per schema, by type name: read once, not at every field of every estimate.
_DECLARED: WeakKeyDictionary[GraphQLSchema, dict[str, _Fields]] = WeakKeyDictionary()


def _rules_of(fields: dict[str, GraphQLField]) -> _Fields:
    return {
        name: (declared_cost(field) or FREE, get_named_type(field.type).name)
        for name, field in fields.items()
    }


class _Estimator:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        page_size: int,
    ) -> None:
        self._schema = schema
        self._types = schema.type_map
        self._declared = _DECLARED.setdefault(schema, {})
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._variables = variables
        self._page_size = page_size
        self._costed: dict[tuple[str, int, bool], Cost] = {}
        self._costing: set[str] = set()
        self.defaults: dict[str, Any] = {}
        self.read: set[str] = set()

    def selection_set(
        self, parent: GraphQLNamedType, node: SelectionSetNode | None, context: _Context
    ) -> Cost:
        if node is None or not isinstance(parent, GraphQLObjectType):
            return Cost()
        total = Cost()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, context)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self._schema.get_type(condition.name.value) if condition else parent
                if target is not None:
                    total += self.selection_set(target, selection.selection_set, context)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, context)
        return total

    def fragment(self, name: str, context: _Context) -> Cost:
        key = (name, context.first, context.with_details)
        costed = self._costed.get(key)
        if costed is None:
            definition = self._fragments.get(name)
            if definition is None or name in self._costing:
                return Cost()  # unknown or cyclic: validation reports it
            target = self._schema.get_type(definition.type_condition.name.value)
            if target is None:
                return Cost()
            self._costing.add(name)
            try:
                once = _Context(1, context.first, context.with_details)
                costed = self.selection_set(target, definition.selection_set, once)
            finally:
                self._costing.discard(name)
            self._costed[key] = costed
        return costed.times(context.items)

    def field(self, parent: GraphQLObjectType, node: FieldNode, context: _Context) -> Cost:
        """The field's cost by the rule it declares (`schema/cost.py`)."""
        fields = self._declared.get(parent.name)
        if fields is None:
            fields = self._declared[parent.name] = _rules_of(parent.fields)
        found = fields.get(node.name.value)
        if found is None:
            return Cost()
        rule, child_name = found
        child = self._types[child_name]
        if rule is FREE:  # most fields: as if the selection were the parent's own
            return self.selection_set(child, node.selection_set, context)
        first = self._first(node) if rule.selection is Selection.WINDOW else 1
        below = _below(rule, context, first)
        inner = Cost() if below is None else self.selection_set(child, node.selection_set, below)
        calls, items = rule.calls, context.items
        if calls is Calls.NONE:
            return inner
        if calls is Calls.BY_ID:
            return Cost(items) + inner
        if calls is Calls.BY_ID_UNLESS_LOADED:
            return Cost(0 if context.with_details else items) + inner
        if calls is Calls.PAGES:
            pages = math.ceil(first / self._page_size)
            if self._given(node, "after") and first > 0:
                pages += 1  # a window starting mid-page spans one more
            return Cost(items * pages) + inner
        if calls is Calls.LOOKUPS:
            return Cost(inner.calls + (inner.lookups or items))
        return Cost(inner.calls, items)  # ONE_LOOKUP: made by the LOOKUPS field above

    def _given(self, node: FieldNode, name: str) -> bool:
        return any(argument.name.value == name for argument in node.arguments or ())

    def _first(self, node: FieldNode) -> int:
        """The window size asked for; the largest allowed when it cannot be known."""
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                name = value.name.value
                self.read.add(name)
                found = self._variables.get(name)
                if found is None and name in self.defaults:
                    value = self.defaults[name]
                else:
                    return _window(found)
            if isinstance(value, IntValueNode):
                return _window(int(value.value))
            return MAX_FIRST
        return DEFAULT_FIRST


def _below(rule: FieldCost, context: _Context, first: int) -> _Context | None:
    """Where the field's selection runs; None when nothing there is costed."""
    selection = rule.selection
    if selection is Selection.AS_PARENT and rule.with_details is None:
        return context
    if selection is Selection.RECORDS:
        return None
    with_details = context.with_details if rule.with_details is None else rule.with_details
    if selection is Selection.AS_PARENT:
        return _Context(context.items, context.first, with_details)
    if selection is Selection.EACH_ITEM:
        return _Context(context.items * context.first, 1, with_details)
    return _Context(context.items, first, with_details)  # ONCE (`first` is 1), WINDOW


def _window(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_FIRST:
        return value
    return DEFAULT_FIRST if value is None else MAX_FIRST
