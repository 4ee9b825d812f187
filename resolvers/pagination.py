"""Relay pagination over the upstream's two paging styles: opaque cursors, windows.

A cursor names a position in the upstream order; it is opaque to clients and
tied to its connection, so a customer cursor is refused by the promotions list.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.errors import BadUserInput

T = TypeVar("T")

MAX_FIRST = 100
DEFAULT_FIRST = 20


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """`items` of a connection, starting at index `start` of `total_count`."""

    items: tuple[T, ...]
    start: int
    total_count: int

    @property
    def has_next_page(self) -> bool:
        return self.start + len(self.items) < self.total_count

    @property
    def has_previous_page(self) -> bool:
        return self.start > 0


def check_first(first: int) -> int:
    if not 0 <= first <= MAX_FIRST:
        raise BadUserInput(
            f"`first` must be between 0 and {MAX_FIRST}, got {first}.",
            details={"argumentName": "first"},
        )
    return first


def encode_cursor(connection: str, index: int) -> str:
    return base64.urlsafe_b64encode(f"{connection}:{index}".encode()).decode().rstrip("=")


def start_after(connection: str, after: str | None) -> int:
    """The index of the first item after `after` (0 without a cursor)."""
    if after is None:
        return 0
    return _decode_cursor(connection, after) + 1


def _decode_cursor(connection: str, cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    name, _, index = raw.partition(":")
    if name != connection or not index.isdigit() or len(index) > 9:
        raise BadUserInput(
            "`after` is not a cursor of this connection.", details={"argumentName": "after"}
        )
    return int(index)


def pages_spanning(start: int, count: int, page_size: int) -> range:
    """Page numbers of `page_size` that hold the indexes [start, start + count)."""
    first_page = start // page_size
    last_page = (start + max(count, 1) - 1) // page_size
    return range(first_page, last_page + 1)
