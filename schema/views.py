"""Strawberry types served straight from the domain records.

Some types declare exactly the attributes of a record in `gateway.upstream.records`
(same Python names; the GraphQL names may differ). Their resolvers hand over the
record itself instead of copying it into a strawberry object on every request:
graphql-core and the compiled plain fields only read attributes. A view's own
resolvers are plain functions taking the record as their `strawberry.Parent`.
`tests/schema/test_views.py` lists every such pair and checks that they still agree.

A type that carries more than its record (a customer: the identity it was found
by) cannot be its view; `copier` builds it from the record instead, reading the
type's fields once, so no copy is written out by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar, cast

from strawberry.types.base import get_object_definition
from strawberry.types.private import is_private

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


def copier(as_type: type[T]) -> Callable[..., T]:
    """`copy(record, **private)`: the strawberry type `as_type` built from `record`,
    each field without a resolver from the record's attribute of the same Python
    name, and the private fields from the keywords. For a type that cannot be a
    view (it carries more than its record); its fields are read once, here."""
    names = attribute_fields(as_type)
    build = cast(Callable[..., T], as_type)

    def copy(record: object, **private: object) -> T:
        return build(**{name: getattr(record, name) for name in names}, **private)

    return copy


def attribute_fields(as_type: type) -> tuple[str, ...]:
    """The Python names of the strawberry type's fields read from its source's
    attributes (those without a resolver, private fields aside): what a view's
    record must have, and what `copier` copies."""
    definition = get_object_definition(as_type, strict=True)
    return tuple(
        f.python_name
        for f in definition.fields
        if f.base_resolver is None and not is_private(f.type)
    )
