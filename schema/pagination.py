"""Relay page info, shared by both connections."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.pagination import Window, encode_cursor

field = strawberry.field


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
