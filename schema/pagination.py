"""Relay connections: one shape for both lists, and the page info they share.

`Connection[N, E]` is a page of items of type `N` and their edges of type `E`,
an `Edge[N]`. Each list names its own pair (the contract's names and
descriptions) by subclassing them, and says which connection its cursors belong
to (`cursors`, the name `resolvers` gives the list).
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, NamedTuple, Self, TypeVar, cast

import strawberry
from strawberry import Private

from resolvers.pagination import Window, encode_cursor
from schema.cost import EACH_ITEM, FREE, costs

field = strawberry.field

N = TypeVar("N")  # the items
E = TypeVar("E")  # their edges: an Edge[N]


@strawberry.type(description="Where a page stands in its connection.")
class PageInfo:
    has_next_page: bool = field(description="Whether items follow this page.")
    has_previous_page: bool = field(description="Whether items precede this page.")
    start_cursor: str | None = field(description="The cursor of the page's first item.")
    end_cursor: str | None = field(description="The cursor of the page's last item.")

    @classmethod
    def of(cls, connection: str, window: Window[Any]) -> PageInfo:
        last = window.start + len(window.items) - 1
        return cls(
            has_next_page=window.has_next_page,
            has_previous_page=window.has_previous_page,
            start_cursor=encode_cursor(connection, window.start) if window.items else None,
            end_cursor=encode_cursor(connection, last) if window.items else None,
        )


class EdgeRecord(NamedTuple):
    """An edge as it is served: every `Edge` is a view of it (`schema/views.py`)."""

    cursor: str
    node: object


@strawberry.type(description="An item and its cursor; each connection names its own.")
class Edge(Generic[N]):
    cursor: str = field(description="Pass as `after` to continue after this promotion.")
    node: N = field(description="The item.")


@strawberry.type(description="A page of items; each connection names its own.")
class Connection(Generic[N, E]):
    """Built from the window of records its resolver found; its items and edges
    are views of records (`schema/views.py`)."""

    # The connection's name in its cursors: `after` is checked against it.
    cursors: ClassVar[str]

    total_count: int = field(description="upstream: pageDetails.totalEntries")
    nodes: list[N] = field(
        description="The page's promotions, in upstream order.", metadata=costs(EACH_ITEM)
    )
    window: Private[Window[Any]]

    @field(description="Where this page stands.", metadata=costs(FREE))
    def page_info(self) -> PageInfo:
        return PageInfo.of(self.cursors, self.window)

    @field(description="The page's promotions with their cursors.", metadata=costs(EACH_ITEM))
    def edges(self) -> list[E]:
        start, cursors = self.window.start, self.cursors
        edges = [
            EdgeRecord(encode_cursor(cursors, start + i), node) for i, node in enumerate(self.nodes)
        ]
        return cast(list[E], edges)

    @classmethod
    def of(cls, window: Window[Any]) -> Self:
        """The page of `window`, whose items are records of the connection's item type."""
        return cls(total_count=window.total_count, nodes=cast(list[N], window.items), window=window)
