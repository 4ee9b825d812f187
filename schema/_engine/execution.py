"""Execution that spends its time on the answer, not on graphql-core's machinery.

Most of a customer's answer is records read attribute by attribute: restrictions,
timelines, rulesets, rules, actions. graphql-core completes each of those fields
through its general machinery (resolve info, path, awaitable checks, error
handling), which costs far more than reading the attribute. A *plain* field is a
strawberry field with no resolver (an attribute), no arguments, and a plain
subtree below it: no directives, no abstract types. Plain fields and subtrees
are compiled once per selection (`schema/_engine/compiler.py`) into functions from the
source object to the response value:

- an object whose selected fields are all plain is completed by one function;
- in an object that also has resolver fields, graphql-core executes only those,
  and the plain ones are read directly (`execute_fields`).

graphql-core still runs every field that has a resolver (loaders, connections,
stale marking), and the whole operation when schema extensions hook fields.

A compiled function returns exactly what graphql-core would, or gives up: on any
error (a null in a non-null field, a value a scalar cannot serialize, a list that
is not a list) it raises, and graphql-core completes that value again the usual
way, so errors carry the same messages and paths. Re-running is safe: plain
fields only read attributes of records (or of strawberry objects built from them),
and compiled code only looks for values at hand until it has returned.

On top of that, `CompletedSubtrees` keeps the completed answers of *snapshot
types* (a cached promotion) across requests, whether compiled code or
graphql-core completed them.

A field with a resolver may also declare its value *at hand* (`schema/_engine/at_hand.py`):
when it is, graphql-core's resolver machinery (resolve info, strawberry's
wrappers) is skipped for that field, and a kept answer for the value is served
as it is; compiled code serves such fields itself when their answer is kept.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, TypeVar, cast

from cachetools import LRUCache
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    Visitor,
    visit,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema._engine.at_hand import AtHand, declared
from schema._engine.compiler import (
    Complete,
    KeptAnswers,
    compile_field,
    compile_object,
    selection_of,
)

T = TypeVar("T")
K = TypeVar("K")
# A snapshot type's source object -> the record its answer is a function of.
RecordOf = Callable[[Any], object]


# The fields of one selection, each with its compiled function if it is plain.
FieldsPlan = list[tuple[str, FieldDetailsList, Complete | None]]

# Compiled selections kept across requests, keyed by the identity of their field
# nodes (documents are cached, so the same text gives the same nodes).
MAX_COMPILED_SELECTIONS = 2048


class CompiledSelections:
    """Compiled plain objects and fields, and which selections use variables, by
    (type, field nodes); the most recently used are kept."""

    def __init__(self, max_entries: int = MAX_COMPILED_SELECTIONS) -> None:
        # The nodes are held with the function so that their ids stay theirs.
        self._entries: LRUCache[tuple[str, tuple[int, ...]], tuple[object, Any]]
        self._entries = LRUCache(max_entries)

    def object(
        self,
        object_type: GraphQLObjectType,
        nodes: list[FieldNode],
        fragments: dict[str, FragmentDefinitionNode],
        kept: KeptAnswers | None = None,
    ) -> Complete | None:
        """Completes `object_type` for the selections of `nodes`; None if not plain.
        (Compiled code may serve answers from `kept`: pass the same one every time.)"""
        key = (object_type.name, selection_of(nodes))
        compiled = _remembered(
            self._entries, key, nodes, lambda: compile_object(object_type, nodes, fragments, kept)
        )
        return cast(Complete | None, compiled)

    def field(
        self,
        parent_type: GraphQLObjectType,
        nodes: list[FieldNode],
        fragments: dict[str, FragmentDefinitionNode],
        kept: KeptAnswers | None = None,
    ) -> Complete | None:
        """Reads one field of `parent_type` from the parent and completes it; None if
        not plain. (Compiled code may serve answers from `kept`, as for `object`.)"""
        key = (f"{parent_type.name}.", selection_of(nodes))
        compiled = _remembered(
            self._entries, key, nodes, lambda: compile_field(parent_type, nodes, fragments, kept)
        )
        return cast(Complete | None, compiled)

    def uses_variables(
        self, nodes: list[FieldNode], fragments: dict[str, FragmentDefinitionNode]
    ) -> bool:
        """Whether any variable appears in the selections of `nodes`, fragments included."""
        key = ("$", selection_of(nodes))
        found = _remembered(self._entries, key, nodes, lambda: _uses_variables(nodes, fragments))
        return cast(bool, found)


class CompletedSubtrees:
    """Completed answers of snapshot types, kept across requests.

    A snapshot type's answer to a selection is a function of one immutable record
    (a promotion as the cache holds it): `snapshots` maps the type's name to how
    a source object gives its record. The answer is kept by (selection, record
    identity) while the record lives, so a cached promotion is completed once per
    selection, not once per request. Records are per credential (the caches are
    keyed by credential), and so are the answers.
    """

    def __init__(self, snapshots: dict[str, RecordOf], max_entries: int) -> None:
        self.snapshots = snapshots if max_entries > 0 else {}
        # The record and nodes are held with the answer so that their ids stay theirs.
        self._entries: LRUCache[
            tuple[tuple[int, ...], int], tuple[object, list[FieldNode], dict[str, Any]]
        ]
        self._entries = LRUCache(max(max_entries, 1))

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, selection: tuple[int, ...], record: object) -> dict[str, Any] | None:
        try:  # indexing: LRUCache.get checks `key in self` first, and costs twice as much
            return self._entries[(selection, id(record))][2]
        except KeyError:
            return None

    def put(
        self,
        selection: tuple[int, ...],
        nodes: list[FieldNode],
        record: object,
        completed: dict[str, Any],
    ) -> None:
        self._entries[(selection, id(record))] = (record, nodes, completed)


def compiled_execution(
    compiled: CompiledSelections, subtrees: CompletedSubtrees | None = None
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """An execution context class that completes plain subtrees with `compiled` and
    reuses the answers of snapshot types kept in `subtrees`."""

    class Execution(PlainSubtreeExecution):
        selections = compiled
        completed = CompletedSubtrees({}, 0) if subtrees is None else subtrees

    return Execution


class PlainSubtreeExecution(StrawberryGraphQLCoreExecutionContext):
    selections: CompiledSelections
    completed: CompletedSubtrees

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core's helpers are this executor's bound methods: a reference
        # cycle that would keep the whole request (context, loaders, records) for
        # the garbage collector. These find the executor by a weak reference.
        self.async_helpers = _weak_helpers(weakref.ref(self))
        # Per request, by the identity of graphql-core's memoised field lists.
        self._completions: dict[tuple[str, int], tuple[object, Complete | None]] = {}
        self._plans: dict[tuple[str, int], tuple[object, FieldsPlan | None]] = {}
        self._snapshot_selections: dict[int, tuple[object, tuple[int, ...] | None]] = {}
        self._declarations: dict[tuple[str, int], tuple[object, AtHand | None]] = {}
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
        """A snapshot's kept answer; else compiled code's answer; else graphql-core's.
        A snapshot's new answer is kept (when complete, synchronous and error-free)."""
        selection, record = self._snapshot(return_type, field_details_list, result)
        if selection is not None:
            kept = self.completed.get(selection, record)
            if kept is not None:
                return kept
        complete = self._completion(return_type, field_details_list)
        if complete is not None:
            try:
                completed: dict[str, Any] = complete(result, self.context_value)
            except Exception:  # graphql-core completes it again and reports what went wrong
                pass
            else:
                if selection is not None:
                    self._keep(selection, field_details_list, record, completed)
                return completed
        errors_before = len(self.collected_errors.errors)
        answer = super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )
        if (
            selection is not None
            and not self.is_awaitable(answer)
            and len(self.collected_errors.errors) == errors_before
        ):
            self._keep(selection, field_details_list, record, cast(dict[str, Any], answer))
        return answer

    def _snapshot(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList, result: Any
    ) -> tuple[tuple[int, ...] | None, object]:
        """The selection's identity and the record, if the type is a snapshot type
        and the selection's answer can be kept; (None, None) otherwise."""
        snapshot = self.completed.snapshots.get(return_type.name) if self._enabled else None
        if snapshot is None:
            return None, None
        selection = self._snapshot_selection(field_details_list)
        return (None, None) if selection is None else (selection, snapshot(result))

    def _keep(
        self,
        selection: tuple[int, ...],
        field_details_list: FieldDetailsList,
        record: object,
        completed: dict[str, Any],
    ) -> None:
        """Keep a snapshot's answer, completed synchronously and without errors."""
        nodes = [details.node for details in field_details_list]
        self.completed.put(selection, nodes, record, completed)

    def _snapshot_selection(self, field_details_list: FieldDetailsList) -> tuple[int, ...] | None:
        """The selection's identity across requests (its nodes come from a cached
        document), or None if its answer may depend on variables or on defer."""

        def build() -> tuple[int, ...] | None:
            nodes = _static_nodes(field_details_list)
            if nodes is None or self.selections.uses_variables(nodes, self.fragment_definitions):
                return None
            return selection_of(nodes)

        key = id(field_details_list)
        return _remembered(self._snapshot_selections, key, field_details_list, build)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """A field whose value is at hand is completed without calling its resolver
        (a kept answer is found on the way, in `complete_object_value`); graphql-core
        executes every other field."""
        declaration = self._at_hand(parent_type, field_details_list)
        if declaration is not None:
            value = declaration.look(source, self.context_value)
            if value is not None:
                declaration.served([source], self.context_value)
                return self._complete_resolved(
                    parent_type, field_details_list, path, value, position_context
                )
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _complete_resolved(
        self,
        parent_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        value: object,
        position_context: Any,
    ) -> Any:
        """What graphql-core's execute_field does once the resolver has returned `value`."""
        field_def = parent_type.fields[field_details_list[0].node.name.value]
        return_type = field_def.type
        info = self.build_resolve_info(
            field_def, [d.node for d in field_details_list], parent_type, path
        )
        try:
            completed = self.complete_value(
                return_type, field_details_list, info, path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, return_type, field_details_list, path)
                return None

        return await_completed()

    def _at_hand(
        self, parent_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> AtHand | None:
        """How the field's value may be at hand, if it declares that."""
        if not self._enabled:
            return None

        def build() -> AtHand | None:
            node = field_details_list[0].node
            field = parent_type.fields.get(node.name.value)
            return None if field is None or node.arguments else declared(field)

        key = (parent_type.name, id(field_details_list))
        return _remembered(self._declarations, key, field_details_list, build)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """Plain fields read directly; graphql-core executes the rest (and any plain
        field whose compiled completion gave up), in the selection's order."""
        plan = self._plan(parent_type, grouped_field_set)
        if plan is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        rest: GroupedFieldSet = {}
        for response_name, field_details_list, compiled in plan:
            if compiled is not None:
                try:
                    results[response_name] = compiled(source_value, self.context_value)
                    continue
                except Exception:  # graphql-core executes it again and reports the error
                    pass
            results[response_name] = None  # holds the field's place in the order
            rest[response_name] = field_details_list
        if not rest:
            return results
        executed = super().execute_fields(parent_type, source_value, path, rest, position_context)
        if self.is_awaitable(executed):

            async def merged() -> dict[str, Any]:
                return _merge(results, rest, await executed)

            return merged()
        return _merge(results, rest, executed)  # type: ignore[arg-type]

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> FieldsPlan | None:
        """The fields of `grouped_field_set` with their compiled reads; None when
        none is plain (graphql-core's own loop is then as fast)."""
        if not self._enabled:
            return None

        def build() -> FieldsPlan | None:
            plan: FieldsPlan = []
            for response_name, field_details_list in grouped_field_set.items():
                nodes = _static_nodes(field_details_list)
                compiled = (
                    None
                    if nodes is None
                    else self.selections.field(
                        parent_type, nodes, self.fragment_definitions, self.completed
                    )
                )
                plan.append((response_name, field_details_list, compiled))
            return plan if any(compiled for _, _, compiled in plan) else None

        key = (parent_type.name, id(grouped_field_set))
        return _remembered(self._plans, key, grouped_field_set, build)

    def _completion(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Complete | None:
        if not self._enabled:
            return None

        def build() -> Complete | None:
            nodes = _static_nodes(field_details_list)
            if nodes is None:
                return None
            return self.selections.object(
                return_type, nodes, self.fragment_definitions, self.completed
            )

        key = (return_type.name, id(field_details_list))
        return _remembered(self._completions, key, field_details_list, build)


def _remembered(
    table: MutableMapping[K, tuple[object, T]], key: K, holder: object, build: Callable[[], T]
) -> T:
    """`build()` once per `key` while `table` keeps it. Keys hold ids (of field nodes,
    of graphql-core's memoised field lists): `holder`, the object whose id it is, is
    kept with the value, so that the id cannot pass to another object meanwhile."""
    found = table.get(key)
    if found is None:
        found = (holder, build())
        table[key] = found
    return found[1]


def _uses_variables(
    nodes: Sequence[FieldNode], fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    found = False
    visited: set[str] = set()

    class Finder(Visitor):
        def enter_variable(self, *_args: object) -> None:
            nonlocal found
            found = True

        def enter_fragment_spread(self, node: FragmentSpreadNode, *_args: object) -> None:
            name = node.name.value
            fragment = fragments.get(name)
            if name not in visited and fragment is not None:
                visited.add(name)
                visit(fragment, self)

    for node in nodes:
        if node.selection_set is not None:
            visit(node.selection_set, Finder())
    return found


def _static_nodes(field_details_list: FieldDetailsList) -> list[FieldNode] | None:
    """The field's nodes, or None when defer or fragment variables shape it per request."""
    if any(
        d.defer_usage is not None or d.fragment_variable_values is not None
        for d in field_details_list
    ):
        return None
    return [details.node for details in field_details_list]


def _merge(
    results: dict[str, Any], rest: GroupedFieldSet, executed: dict[str, Any]
) -> dict[str, Any]:
    results.update(executed)
    if len(executed) != len(rest):
        for response_name in rest.keys() - executed.keys():
            del results[response_name]  # graphql-core left it out (no such field)
    return results


def _weak_helpers(
    executor: weakref.ref[StrawberryGraphQLCoreExecutionContext],
) -> GraphQLResolveInfoHelpers:
    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return _alive(executor).gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        _alive(executor).track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(
    executor: weakref.ref[StrawberryGraphQLCoreExecutionContext],
) -> StrawberryGraphQLCoreExecutionContext:
    found = executor()
    if found is None:  # pragma: no cover - resolvers run while their executor lives
        raise RuntimeError("the operation's executor has finished")
    return found
