"""Optional arguments without a default: the contract prints none, not `= null`."""

from __future__ import annotations

from typing import Any, TypeVar

import strawberry

T = TypeVar("T")

# The default of an optional argument or input field the contract gives no default.
ABSENT: Any = strawberry.UNSET


def given(value: T | None) -> T | None:
    """The argument's value, or None when the client left it out."""
    return None if value is ABSENT else value
