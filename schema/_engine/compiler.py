"""Plain selections compiled into Python functions (as graphql-jit does for graphql-js).

A *plain* field is a strawberry field with no resolver (an attribute), no
arguments, and a plain subtree below it: no directives, no abstract types. A plain
selection becomes the source text of one function from the source object to the
response value, with every field, list and leaf of the subtree written out in it:
reading an attribute, checking a leaf's type, building the dict. Composing small
closures instead costs four calls per leaf, and there are about 1,500 leaves in
the nested customer query.

The generated code returns exactly what graphql-core would, or raises `GiveUp`:
on a null in a non-null field, a value a scalar cannot serialize, a list that is
not a list. The caller then lets graphql-core complete that value the usual way,
so errors carry its messages and paths.

One kind of field with a resolver is compiled too: a field whose value may be at
hand (`schema/_engine/at_hand.py`) and whose type's answers are kept (`CompletedSubtrees`),
such as a customer's promotion. The code looks for the value and serves its kept
answer, or gives up. What serving entails (counting a cache hit) runs only when
the whole function returns, so a give-up never counts anything twice.

Only names from the schema reach the source text (checked to be identifiers);
everything else (attribute readers, serializers, enum tables) is handed to the
code as a constant, never written into it. `source_of(function)` shows the text.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable, Sequence
from enum import Enum
from itertools import count
from typing import Any, Protocol, cast
from weakref import WeakKeyDictionary

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT
from strawberry.schema.schema_converter import CustomGraphQLEnumType

from schema._engine.at_hand import declared, strawberry_field

# (source object, request context) -> the response value.
Complete = Callable[[Any, Any], Any]

# Leaf values the built-in scalars return unchanged, as a condition on `{v}`:
# graphql-core's serializers return the same after several isinstance checks.
_AS_IS: dict[GraphQLScalarType, str] = {
    GraphQLString: "type({v}) is str",
    GraphQLID: "type({v}) is str",
    GraphQLBoolean: "type({v}) is bool",
    GraphQLFloat: "(type({v}) is float and isfinite({v}))",
    GraphQLInt: f"(type({{v}}) is int and {GRAPHQL_MIN_INT} <= {{v}} <= {GRAPHQL_MAX_INT})",
}

# Each compiled function's text, while the function lives.
_sources: WeakKeyDictionary[Complete, str] = WeakKeyDictionary()


class GiveUp(Exception):
    """The compiled function met something only graphql-core reports properly."""


def selection_of(nodes: Sequence[FieldNode]) -> tuple[int, ...]:
    """A selection's identity across requests: its field nodes' ids (documents are
    cached, so the same text gives the same nodes). Compiled code and the executor
    find kept answers by it."""
    return tuple(map(id, nodes))


class KeptAnswers(Protocol):
    """Completed answers of snapshot types (`CompletedSubtrees`)."""

    snapshots: dict[str, Callable[[Any], object]]

    def get(self, selection: tuple[int, ...], record: object) -> dict[str, Any] | None: ...


def compile_object(
    object_type: GraphQLObjectType,
    nodes: Sequence[FieldNode],
    fragments: dict[str, FragmentDefinitionNode],
    kept: KeptAnswers | None = None,
) -> Complete | None:
    """A function completing `object_type` for the selections of `nodes`, or None
    when the subtree is not plain."""
    code = _Code(object_type.name, kept)
    answer = code.value()
    if not code.object(object_type, nodes, fragments, "source", answer):
        return None
    return code.function(answer)


def compile_field(
    parent_type: GraphQLObjectType,
    nodes: Sequence[FieldNode],
    fragments: dict[str, FragmentDefinitionNode],
    kept: KeptAnswers | None = None,
) -> Complete | None:
    """A function reading and completing the field `nodes` select on `parent_type`
    from the parent object, or None when the field is not plain."""
    code = _Code(f"{parent_type.name}.{nodes[0].name.value}", kept)
    answer = code.value()
    if not code.field(parent_type, nodes, fragments, "source", answer):
        return None
    return code.function(answer)


def source_of(function: Complete) -> str:
    """The generated text of a compiled function."""
    return _sources[function]


class _Code:
    """The text of one function being generated, and the constants it uses."""

    def __init__(self, title: str, kept: KeptAnswers | None) -> None:
        self.title = title
        self.kept = kept
        # Per field at hand: the list of parents whose values it serves, and the note.
        self.served: list[tuple[str, str]] = []
        self.lines: list[str] = []
        self.indent = 1
        self.constants: dict[str, object] = {
            "GiveUp": GiveUp,
            "Undefined": Undefined,
            "isfinite": math.isfinite,
        }
        self._names = count()

    def value(self) -> str:
        return f"v{next(self._names)}"

    def constant(self, value: object) -> str:
        name = f"c{next(self._names)}"
        self.constants[name] = value
        return name

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def function(self, answer: str) -> Complete:
        """The function returning `answer`; values at hand it served are reported
        served only then, when nothing gave up."""
        head = ["def complete(source, context):"]
        tail = [f"    return {answer}"]
        for parents, note in self.served:
            head.append(f"    {parents} = []")
            tail.insert(-1, f"    if {parents}: {note}({parents}, context)")
        text = "\n".join([*head, *self.lines, *tail]) + "\n"
        namespace = dict(self.constants)
        # The text holds schema names only (see the module's docstring).
        exec(compile(text, f"<compiled {self.title}>", "exec"), namespace)
        function = cast(Complete, namespace["complete"])
        _sources[function] = text
        return function

    # ------------------------------------------------------------ what the code does

    def object(
        self,
        object_type: GraphQLObjectType,
        nodes: Sequence[FieldNode],
        fragments: dict[str, FragmentDefinitionNode],
        source: str,
        out: str,
    ) -> bool:
        """Code completing `source` (not null) as `object_type` into `out`."""
        if object_type.is_type_of is not None:
            return False
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for node in nodes:
            selections = node.selection_set
            if selections is None or not _collect(
                selections, object_type, fragments, grouped, visited
            ):
                return False
        entries = []
        for response_name, group in grouped.items():
            value = self.value()
            if not self.field(object_type, group, fragments, source, value):
                return False
            entries.append(f"{response_name!r}: {value}")
        self.line(f"{out} = {{{', '.join(entries)}}}")
        return True

    def field(
        self,
        parent_type: GraphQLObjectType,
        nodes: Sequence[FieldNode],
        fragments: dict[str, FragmentDefinitionNode],
        source: str,
        out: str,
    ) -> bool:
        """Code reading the field `nodes` select from `source` and completing it into `out`."""
        first = nodes[0]
        name = first.name.value
        if name == "__typename":
            self.line(f"{out} = {parent_type.name!r}")
            return True
        field = parent_type.fields.get(name)
        if field is None or field.args or first.arguments:
            return False
        read = self._read(field, source)
        if read is None:
            return self._kept_at_hand(field, nodes, fragments, source, out)
        self.line(f"{out} = {read}")
        return self.complete(field.type, nodes, fragments, out, out)

    def _read(self, field: GraphQLField, source: str) -> str | None:
        """How strawberry reads a field with no resolver; None for any other field."""
        definition = strawberry_field(field)
        resolve = field.resolve
        if (
            definition is None
            or not definition.is_basic_field
            or resolve is None
            or not getattr(resolve, "_is_default", False)
        ):
            return None
        attribute = definition.python_name
        if definition.default_resolver is getattr and _is_name(attribute):
            return f"{source}.{attribute}"
        return f"{self.constant(resolve)}({source}, None)"

    def _kept_at_hand(
        self,
        field: GraphQLField,
        nodes: Sequence[FieldNode],
        fragments: dict[str, FragmentDefinitionNode],
        source: str,
        out: str,
    ) -> bool:
        """Code serving the kept answer of a field whose value is at hand
        (`schema/_engine/at_hand.py`) and of a snapshot type; any other field with a
        resolver is not plain. The code gives up when the value is not at hand or
        its answer is not kept (never, for a selection using variables): graphql-core
        then executes the field."""
        declaration = declared(field)
        type_ = field.type.of_type if is_non_null_type(field.type) else field.type
        if declaration is None or self.kept is None or not is_object_type(type_):
            return False
        record_of = self.kept.snapshots.get(type_.name)
        if record_of is None:
            return False
        look, served = self.constant(declaration.look), self.constant(declaration.served)
        kept, of = self.constant(self.kept.get), self.constant(record_of)
        selection = self.constant(selection_of(nodes))
        value = self.value()
        self.line(f"{value} = {look}({source}, context)")
        self.line(f"if {value} is None: raise GiveUp")
        self.line(f"{out} = {kept}({selection}, {of}({value}))")
        self.line(f"if {out} is None: raise GiveUp")
        parents = f"served{len(self.served)}"
        self.served.append((parents, served))
        self.line(f"{parents}.append({source})")
        return True

    def complete(
        self,
        type_: GraphQLOutputType,
        nodes: Sequence[FieldNode],
        fragments: dict[str, FragmentDefinitionNode],
        value: str,
        out: str,
    ) -> bool:
        """Code completing `value` as `type_` into `out` (the two may be the same name)."""
        if is_non_null_type(type_):
            if not self.complete(type_.of_type, nodes, fragments, value, out):
                return False
            self.line(f"if {out} is None: raise GiveUp")
            return True
        if is_list_type(type_):
            return self._list(type_.of_type, nodes, fragments, value, out)
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            self._leaf(type_, value, out)
            return True
        if is_object_type(type_):
            self.line(f"if {value} is None or {value} is Undefined: {out} = None")
            self.line(f"elif isinstance({value}, Exception): raise GiveUp")
            self.line("else:")
            self.indent += 1
            found = self.object(type_, nodes, fragments, value, out)
            self.indent -= 1
            return found
        return False  # interfaces and unions: the runtime type decides

    def _list(
        self,
        item_type: GraphQLOutputType,
        nodes: Sequence[FieldNode],
        fragments: dict[str, FragmentDefinitionNode],
        value: str,
        out: str,
    ) -> bool:
        items, item = self.value(), self.value()
        self.line(f"if {value} is None: {out} = None")
        self.line(f"elif not isinstance({value}, (list, tuple)): raise GiveUp")
        self.line("else:")
        self.indent += 1
        self.line(f"{items} = []")
        self.line(f"for {item} in {value}:")
        self.indent += 1
        found = self.complete(item_type, nodes, fragments, item, item)
        self.line(f"{items}.append({item})")
        self.indent -= 1
        self.line(f"{out} = {items}")
        self.indent -= 1
        return found

    def _leaf(self, type_: GraphQLScalarType | GraphQLEnumType, value: str, out: str) -> None:
        """Completes a leaf as `type_.coerce_output_value` does, the common values inline."""
        general = self.constant(_general_leaf(type_.coerce_output_value))
        if isinstance(type_, CustomGraphQLEnumType):
            # Strawberry's enum output scans the values for the member's value on every
            # call; a table by value finds the same name (the first match) at once.
            members = self.constant(type_.wrapped_cls)
            names = self.constant(_enum_names(type_))
            name = self.value()
            self.line(
                f"{name} = {names}.get({value}._value_) if type({value}) is {members} else None"
            )
            self.line(f"{out} = {name} if {name} is not None else {general}({value})")
            return
        as_is = _AS_IS.get(type_) if isinstance(type_, GraphQLScalarType) else None
        if as_is is None:
            self.line(f"{out} = {general}({value})")
            return
        condition = as_is.format(v=value)
        self.line(f"{out} = {value} if {value} is None or {condition} else {general}({value})")


def _enum_names(type_: CustomGraphQLEnumType) -> dict[Any, str]:
    names: dict[Any, str] = {}
    for member in cast(type[Enum], type_.wrapped_cls):
        for name, value in type_.values.items():
            if member.value == value.value:
                names.setdefault(member.value, name)
                break
    return names


def _general_leaf(coerce: Callable[[Any], Any]) -> Callable[[Any], Any]:
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


def _is_name(text: str) -> bool:
    return text.isidentifier() and text.isascii() and not keyword.iskeyword(text)


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
