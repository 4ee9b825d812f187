"""What a field costs in upstream calls, declared next to the field.

Before an operation runs, `gateway.operations._cost` works out the most upstream
calls it can make. It knows no field by name: it reads the rule each field
declares, `strawberry.field(metadata=costs(RULE))`, one of those below. A field
declaring none costs nothing and runs its selection as its parent does (as `FREE`);
`tests/schema/test_cost.py` checks that every field with a resolver, every list
and every connection declares one, so that a new one is not costed at 0 unseen.

Each rule is the most the field can cost; caches and de-duplication only lower it.
`items` is how many times the field runs (the lists above it), `first` the size
of the connection it is on.

- `FREE`: served from its parent's record; no call, and its selection runs as
  its parent's.
- `BY_ID`: one read by id each time it runs; what it returns comes with all its
  details (a promotion with its rulesets).
- `BY_ID_UNLESS_LOADED`: one read by id each time it runs, but none when its
  parent came with all its details (by id); what it returns are records read
  whole, and nothing in its selection costs anything.
- `LIST_PAGES`: one list call per page its window can span: its `first` over the
  upstream's page size, and one page more after a cursor (a window starting
  mid-page); a connection of `first` items, without their details.
- `LOOKUPS`: the lookups its fields ask for (`ONE_LOOKUP`, each selection
  counted), or one when they ask for none.
- `ONE_LOOKUP`: one of its parent's lookups (`LOOKUPS`), per selection, and no
  call of its own; a connection of `first` items, which the lookup returns with
  all their details.
- `EACH_ITEM`: the items of the connection it is on: its selection runs once per
  item (`first` times).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from graphql import GraphQLField

from schema._engine import declared_metadata

_KEY = "schema.cost"


class Calls(enum.Enum):
    """The upstream calls a field makes each time it runs."""

    NONE = "none"
    BY_ID = "one read by id"
    BY_ID_UNLESS_LOADED = "one read by id, unless the parent came with all its details"
    PAGES = "one list call per page its window can span"
    LOOKUPS = "the lookups its fields ask for, or one"
    ONE_LOOKUP = "one of its parent's lookups"


class Selection(enum.Enum):
    """How many times the field's selection runs, and on what."""

    AS_PARENT = "as its parent's"
    ONCE = "once per run of the field"
    WINDOW = "once per run of the field, on a connection of `first` items"
    EACH_ITEM = "once per item of the connection the field is on"
    RECORDS = "not costed: it reads only records that the field's call returned whole"


@dataclass(frozen=True, slots=True)
class FieldCost:
    calls: Calls = Calls.NONE
    selection: Selection = Selection.AS_PARENT
    # Whether what it returns came with all its details (by id); None: as its parent.
    with_details: bool | None = None

    def __post_init__(self) -> None:
        if self.calls is Calls.PAGES and self.selection is not Selection.WINDOW:
            raise ValueError("a field paging through a list is a window of `first` items")


FREE = FieldCost()
BY_ID = FieldCost(Calls.BY_ID, Selection.ONCE, with_details=True)
BY_ID_UNLESS_LOADED = FieldCost(Calls.BY_ID_UNLESS_LOADED, Selection.RECORDS)
LIST_PAGES = FieldCost(Calls.PAGES, Selection.WINDOW, with_details=False)
LOOKUPS = FieldCost(Calls.LOOKUPS, Selection.ONCE, with_details=False)
ONE_LOOKUP = FieldCost(Calls.ONE_LOOKUP, Selection.WINDOW, with_details=True)
EACH_ITEM = FieldCost(selection=Selection.EACH_ITEM)


def costs(rule: FieldCost) -> dict[str, FieldCost]:
    """A field's metadata declaring its cost (merge it with other metadata by `|`)."""
    return {_KEY: rule}


def declared_cost(field: GraphQLField) -> FieldCost | None:
    """The rule a served field declares; None if it declares none."""
    return declared_metadata(field, _KEY, FieldCost)
