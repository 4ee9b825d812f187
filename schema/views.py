"""Strawberry types served straight from the domain records.

Some types declare exactly the attributes of a record in `gateway.upstream.records`
(same Python names; the GraphQL names may differ). Their resolvers hand over the
record itself instead of copying it into a strawberry object on every request:
graphql-core and the compiled plain fields only read attributes. A view's own
resolvers are plain functions taking the record as their `strawberry.Parent`.
`tests/schema/test_views.py` lists every such pair and checks that they still agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, cast

T = TypeVar("T")


def as_view(record: object, as_type: type[T]) -> T:
    """`record` served as the strawberry type `as_type` (a pair the test lists)."""
    return cast(T, record)


def view(record: object | None, as_type: type[T]) -> T | None:
    """`record` served as the strawberry type `as_type` (a pair the test lists)."""
    return cast(T | None, record)


def views(records: Sequence[object], as_type: type[T]) -> list[T]:
    """`records` served as a list of the strawberry type `as_type` (a pair the test lists)."""
    return cast(list[T], records)
