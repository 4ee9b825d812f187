"""The customer view in its usual shape, read directly: the fast path of `_parsing`.

A customer lookup is read on every request (its answer is never cached), and the
tolerant reader in `_parsing` spends about half a microsecond on every field:
the layers, the alternative spellings, the conversions. Nearly every body comes
in one shape, the one the vendor pages show, and this module reads that shape
alone: the same keys, looked up in the same order, with exact JSON types only
(identifiers as integers or strings, numbers as strings or numbers, flags as
booleans, dates as ISO text ending in "Z").

It knows no field of its own: the readers are generated once, at import, from
the field tables in `_tables` (the ones the tolerant reader reads with), one
plain function per record read from a list, nested objects written inline, each
kind's exact-type check written out where the field is read (`SOURCE` holds the
text). Records are built positionally from the table's order.

Anything else raises `Unusual` inside and comes out as None, and the caller reads
the object with the tolerant reader instead, which also names any violation.
So this module may only ever agree with `_parsing` or decline; a property test
holds it to that.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from gateway.upstream import _tables as tables
from gateway.upstream import records
from gateway.upstream._tables import Field, Kind, Table


class Unusual(Exception):
    """The object is not in the usual shape: read it with the tolerant reader."""


def customer_promotion(item: object) -> records.CustomerPromotion | None:
    """The customer view's promotion, or None when it is not in the usual shape."""
    try:
        return _customer_promotion(item)
    except (Unusual, ValueError, TypeError, OverflowError):
        return None


# ---------------------------------------------------------------- the code, from the tables

# Each kind's check of a value `{v}` (not None) in its usual JSON types, turning it
# into the record's value in place; `raise Unusual` on anything else.
_CHECKS = {
    Kind.IDENTIFIER: (
        "if type({v}) is int:",
        "    {v} = str({v})",
        "elif type({v}) is not str or not {v} or {v}[0].isspace() or {v}[-1].isspace():",
        "    raise Unusual",
    ),
    Kind.TEXT: ("if type({v}) is not str:", "    raise Unusual"),
    Kind.FLAG: ("if type({v}) is not bool:", "    raise Unusual"),
    Kind.INTEGER: ("if type({v}) is not int:", "    raise Unusual"),
    Kind.NUMBER: (
        "if type({v}) is str:",
        "    {v} = float({v})",
        "    if {v} - {v} != 0:  # infinite or not a number",
        "        raise Unusual",
        "elif type({v}) is int:",
        "    {v} = float({v})",
        "elif type({v}) is not float or {v} - {v} != 0:",
        "    raise Unusual",
    ),
    Kind.MOMENT: (
        'if type({v}) is not str or {v}[-1:] != "Z" or not {v}[:1].isdigit():',
        "    raise Unusual",
        "{v} = fromisoformat({v})",
    ),
    # The member spelled exactly so (`{members}`: an enum's `_value2member_map_`).
    Kind.CHOICE: ("{v} = {members}.get({v})", "if {v} is None:", "    raise Unusual"),
    Kind.OBJECT: ("if type({v}) is not dict:", "    raise Unusual"),
    Kind.OBJECTS: (
        "if type({v}) is not list:",
        "    raise Unusual",
        "{v} = tuple(map({read}, {v}))",
    ),
}
_CHECKS[Kind.LIMIT] = (*_CHECKS[Kind.NUMBER], "if {v} == -1:", "    {v} = None")


class _Code:
    """The text of the generated readers, and the constants they use."""

    def __init__(self) -> None:
        self.functions: dict[Table[Any], str] = {}  # each table read from a list: its function
        self.written: list[str] = []  # the functions written
        self.lines: list[str] = []  # the function being written
        self.indent = 1
        self.constants: dict[str, object] = {
            "Unusual": Unusual,
            "fromisoformat": datetime.fromisoformat,
            # Records are built from the tuple of their fields, in declared order,
            # without their generated __new__ (a Python frame each: a third of the cost).
            "build": tuple.__new__,
        }
        self._known: dict[int, str] = {}
        self._names = itertools.count()

    def name(self, prefix: str) -> str:
        return f"{prefix}{next(self._names)}"

    def constant(self, value: object, label: str) -> str:
        """A name (or a literal) for `value` in the generated text."""
        if value is None or type(value) in (bool, int, str):
            return repr(value)
        known = self._known.get(id(value))
        if known is None:
            known = self._known[id(value)] = self.name(f"{label}_")
            self.constants[known] = value
        return known

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def function(self, table: Table[Any]) -> str:
        """The name of the function reading `table`'s record from a dict (written once)."""
        known = self.functions.get(table)
        if known is not None:
            return known
        name = self.functions[table] = self.name(f"read_{table.record.__name__}_")
        outer = self.lines, self.indent
        self.lines, self.indent = [f"def {name}(item):"], 1
        self.line("if type(item) is not dict:")
        self.line("    raise Unusual")
        self.line("get = item.get")
        self.line(f"return {self.build(table, self.record(table, 'get'))}")
        self.written.append("\n".join(self.lines))
        self.lines, self.indent = outer
        return name

    def build(self, table: Table[Any], values: list[str]) -> str:
        return (
            f"build({self.constant(table.record, table.record.__name__)}, ({', '.join(values)},))"
        )

    def record(self, table: Table[Any], get: str) -> list[str]:
        """Code reading `table`'s fields with `get`; their values, in the record's order."""
        values: dict[str, str] = {}
        for field in table.reading_order:
            values[field.name] = self.field(field, get, values)
        return [values[field.name] for field in table.fields]

    def field(self, field: Field, get: str, values: dict[str, str]) -> str:
        """Code reading one field into a variable; its name (or a constant)."""
        if field.kind is Kind.CONSTANT:
            return self.constant(field.default, field.name)
        value = self.name(f"{field.name}_")
        if field.when is None:
            self.read(field, get, value)
            return value
        name, expected = field.when
        self.line(f"{value} = {self.constant(field.default, field.name)}")
        self.line(
            f"if {values[name]} is {self.constant(expected, str(getattr(expected, 'name', name)))}:"
        )
        self.indent += 1
        self.read(field, get, value)
        self.indent -= 1
        return value

    def read(self, field: Field, get: str, value: str) -> None:
        if field.kind is Kind.GROUP:
            assert field.table is not None
            parts = self.record(field.table, get)
            whole = " is not None and ".join(parts)
            self.line(
                f"{value} = {self.build(field.table, parts)} if {whole} is not None else None"
            )
            return
        self.line(f"{value} = {get}({field.keys[0]!r})")
        for key in field.keys[1:]:
            self.line(f"if {value} is None:")
            self.line(f"    {value} = {get}({key!r})")
        listed = field.kind in (Kind.OBJECTS, Kind.RESTRICTIONS)
        missing = "()" if listed else self.constant(field.default, field.name)
        if field.required:
            self.line(f"if {value} is None:")
            self.line("    raise Unusual")
        elif missing != "None":
            self.line(f"if {value} is None:")
            self.line(f"    {value} = {missing}")
            self.line("else:")
        else:
            self.line(f"if {value} is not None:")
        self.indent += not field.required
        self.check(field, value)
        self.indent -= not field.required

    def check(self, field: Field, value: str) -> None:
        """Code checking `value` (not None) and making it the record's value."""
        if field.kind is Kind.RESTRICTIONS:
            self.restrictions(value)
            return
        members = read = ""
        if field.choices is not None:
            members = self.constant(field.choices._value2member_map_, field.choices.__name__)
        if field.table is not None and field.kind is Kind.OBJECTS:
            read = self.function(field.table)
        for line in _CHECKS[field.kind]:
            self.line(line.format(v=value, members=members, read=read))
        if field.table is not None and field.kind is Kind.OBJECT:
            inner = self.name("get_")
            self.line(f"{inner} = {value}.get")
            self.line(f"{value} = {self.build(field.table, self.record(field.table, inner))}")

    def restrictions(self, value: str) -> None:
        """Code reading a restrictions object: its lists' records, in order."""
        self.line(f"if type({value}) is not dict:")
        self.line("    raise Unusual")
        nested, found, items = self.name("nested_"), self.name("found_"), self.name("items_")
        self.line(f"{nested} = {value}.get({tables.NESTED_RESTRICTIONS!r})")
        self.line(f"if {nested} is not None:")
        self.line(f"    if type({nested}) is not dict:")
        self.line("        raise Unusual")
        self.line(f"    {value} = {nested}")
        self.line(f"{found} = []")
        for key, table in tables.RESTRICTION_LISTS:
            self.line(f"{items} = {value}.get({key!r})")
            self.line(f"if {items} is not None:")
            self.line(f"    if type({items}) is not list:")
            self.line("        raise Unusual")
            self.line(f"    {found} += map({self.function(table)}, {items})")
        self.line(f"{value} = tuple({found})")


def _compile(table: Table[Any]) -> tuple[Callable[[object], Any], str]:
    code = _Code()
    name = code.function(table)
    text = "\n\n".join(code.written) + "\n"
    namespace = dict(code.constants)
    # Named after this module, so that profiles charge the generated code to it.
    exec(compile(text, "<gateway/upstream/_usual_shape.py: generated>", "exec"), namespace)
    return cast(Callable[[object], Any], namespace[name]), text


_customer_promotion: Callable[[object], records.CustomerPromotion]
_customer_promotion, SOURCE = _compile(tables.CUSTOMER_PROMOTION)
