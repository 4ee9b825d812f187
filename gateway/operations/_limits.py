"""How big an operation is, measured in time linear in the document.

Depth, aliases, root fields, field selections and directives are counted as if
every fragment were expanded where it is spread (so a fragment spread twice
counts twice, and fragments spreading each other multiply), but each fragment is
measured once and its measure reused: a 1 KB document that expands to billions
of fields is measured in microseconds and rejected. Measuring stops as soon as
the depth limit is passed, so deep nesting cannot exhaust the stack either.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from gateway.errors import OperationTooLarge


@dataclass(frozen=True, slots=True)
class OperationLimits:
    depth: int
    aliases: int
    root_fields: int
    fields: int
    directives: int


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int = 0  # levels of fields below this selection set
    width: int = 0  # fields directly in it (through fragments at the same level)
    fields: int = 0  # fields in it and below
    aliases: int = 0
    directives: int = 0


def check_operations(document: DocumentNode, limits: OperationLimits) -> None:
    """Raise OperationTooLarge if any operation of `document` exceeds `limits`."""
    measurer = _Measurer(document, limits.depth)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            try:
                measure = measurer.selection_set(definition.selection_set, 0)
            except RecursionError:  # fragments chained past any sensible length
                raise _too_large("depth", limits.depth, limits.depth + 1) from None
            directives = measure.directives + len(definition.directives or ())
            for limit, actual, allowed in (
                ("depth", measure.depth, limits.depth),
                ("rootFields", measure.width, limits.root_fields),
                ("aliases", measure.aliases, limits.aliases),
                ("fields", measure.fields, limits.fields),
                ("directives", directives, limits.directives),
            ):
                if actual > allowed:
                    raise _too_large(limit, allowed, actual)


def _too_large(limit: str, allowed: int, actual: int) -> OperationTooLarge:
    """The refusal; for depth, `actual` is as deep as the measure went before it stopped
    (at least that deep)."""
    return OperationTooLarge(
        f"The operation exceeds the gateway's {limit} limit of {allowed} ({actual}); "
        "ask for less in one operation.",
        details={"limit": limit, "max": allowed, "actual": actual},
    )


class _Measurer:
    def __init__(self, document: DocumentNode, max_depth: int) -> None:
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._max_depth = max_depth
        self._measured: dict[str, Measure] = {}
        self._measuring: set[str] = set()

    def selection_set(self, node: SelectionSetNode | None, level: int) -> Measure:
        if node is None:
            return Measure()
        if level >= self._max_depth and any(isinstance(s, FieldNode) for s in node.selections):
            raise _too_large("depth", self._max_depth, level + 1)
        depth = width = fields = aliases = directives = 0
        for selection in node.selections:
            directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set, level + 1)
                depth = max(depth, inner.depth + 1)
                width += 1
                fields += inner.fields + 1
                aliases += inner.aliases + (selection.alias is not None)
            else:
                if isinstance(selection, InlineFragmentNode):
                    inner = self.selection_set(selection.selection_set, level)
                elif isinstance(selection, FragmentSpreadNode):
                    inner = self.fragment(selection.name.value, level)
                else:  # pragma: no cover - graphql-core has no other selection
                    continue
                depth = max(depth, inner.depth)
                width += inner.width
                fields += inner.fields
                aliases += inner.aliases
            directives += inner.directives
        return Measure(depth, width, fields, aliases, directives)

    def fragment(self, name: str, level: int) -> Measure:
        measured = self._measured.get(name)
        if measured is not None:
            if level + measured.depth > self._max_depth:
                raise _too_large("depth", self._max_depth, level + measured.depth)
            return measured
        definition = self._fragments.get(name)
        if definition is None or name in self._measuring:
            return Measure()  # unknown or cyclic: validation reports it
        self._measuring.add(name)
        try:
            # Measured from its own root, so the measure is reusable at any level.
            measured = self.selection_set(definition.selection_set, 0)
        finally:
            self._measuring.discard(name)
        measured = Measure(
            measured.depth,
            measured.width,
            measured.fields,
            measured.aliases,
            measured.directives + len(definition.directives or ()),
        )
        self._measured[name] = measured
        if level + measured.depth > self._max_depth:
            raise _too_large("depth", self._max_depth, level + measured.depth)
        return measured
