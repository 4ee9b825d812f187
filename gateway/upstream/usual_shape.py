"""The customer view in its usual shape, read directly: the fast path of `parsing`.

A customer lookup is read on every request (its answer is never cached), and the
tolerant reader in `parsing` spends about half a microsecond on every field:
the layers, the alternative spellings, the conversions. Nearly every body comes
in one shape, the one the vendor pages show, and this module reads that shape
alone: the same keys, looked up in the same order, with exact JSON types only
(identifiers as integers or strings, numbers as strings or numbers, flags as
booleans, dates as ISO text ending in "Z").

Anything else raises `Unusual` inside and comes out as None, and the caller reads
the object with the tolerant reader instead, which also names any violation.
So this module may only ever agree with `parsing` or decline; a property test
holds it to that.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar, cast

from gateway.upstream import records

_RESTRICTION_KEYS = (
    (records.RestrictionKind.ISSUAL, "issualRestrictions"),
    (records.RestrictionKind.EARN, "earnRestrictions"),
    (records.RestrictionKind.REDEMPTION, "redemptionRestrictions"),
    (records.RestrictionKind.EXPIRY, "expiryRestrictions"),
)
E = TypeVar("E", bound=enum.Enum)

# Each enum's members by their exact spelling.
_PROMOTION_TYPES = cast(
    Mapping[object, records.PromotionType], records.PromotionType._value2member_map_
)
_RESTRICTION_TYPES = cast(
    Mapping[object, records.RestrictionType], records.RestrictionType._value2member_map_
)
_LIMIT_SCOPES = cast(Mapping[object, records.LimitScope], records.LimitScope._value2member_map_)
_EXPIRY_BASES = cast(Mapping[object, records.ExpiryBasis], records.ExpiryBasis._value2member_map_)
_PERIOD_UNITS = cast(Mapping[object, records.PeriodUnit], records.PeriodUnit._value2member_map_)
_PERIOD_BASED = records.RestrictionType.PERIOD_BASED
_EXPIRY = records.RestrictionKind.EXPIRY
# Records are built from the tuple of their fields, in declared order, without
# their generated __new__ (a Python frame each: a third of the cost). The
# property test against the tolerant reader, which uses keywords, holds the
# order and the count.
_build = tuple.__new__


class Unusual(Exception):
    """The object is not in the usual shape: read it with the tolerant reader."""


def customer_promotion(item: object) -> records.CustomerPromotion | None:
    """The customer view's promotion, or None when it is not in the usual shape."""
    try:
        return _customer_promotion(item)
    except (Unusual, ValueError, TypeError, OverflowError):
        return None


def _customer_promotion(item: object) -> records.CustomerPromotion:
    if type(item) is not dict:
        raise Unusual
    get = item.get
    return _build(
        records.CustomerPromotion,
        (
            _identifier(_first(get("promotionId"), get("id"))),
            _identifier(get("programId")),
            _text(_first(get("promotionName"), get("name"))) or "",
            _text(get("description")),
            _text(get("identifier")),
            _flag(_first(get("active"), get("isActive"))) or False,
            _moment(get("startDate")),
            _moment(get("endDate")),
            _text(get("eventName")),
            _choice(_PROMOTION_TYPES, get("pointsOfferType")),
            tuple([_metadata(m) for m in _objects(get("promotionMetadata"))]),
            _limits(_object(get("limits"))),
            _usage(_object(get("customerUsage"))),
            _restrictions(
                _object(_first(get("promotionRestriction"), get("promotionRestrictions")))
            ),
            tuple([_timeline(t) for t in _objects(get("customerPromotionTimelines"))]),
        ),
    )


def _metadata(item: dict[str, Any]) -> records.PromotionMetadata:
    get = item.get
    return _build(
        records.PromotionMetadata,
        (
            _text(get("key")) or "",
            _text(get("value")),
            _flag(get("brandDefined")),
        ),
    )


def _limits(item: dict[str, Any] | None) -> records.Limits | None:
    if item is None:
        return None
    get = item.get
    return _build(
        records.Limits,
        (
            _number(_first(get("maxPointsPerEvent"), get("totalPointsPerEventLimit"))),
            _number(get("pointsPerCustomer")),
            _integer(_first(get("numberOfTimesPerCustomer"), get("numberOFTimesPerCustomer"))),
            _number(get("totalPointsInPromotion")),
        ),
    )


def _usage(item: dict[str, Any] | None) -> records.CustomerUsage | None:
    if item is None:
        return None
    get = item.get
    return _build(
        records.CustomerUsage,
        (
            _number(get("currentPointsPerCustomer")),
            _integer(
                _first(
                    get("currentNumberOfTimesPerCustomer"), get("currentNumberOFTimesPerCustomer")
                )
            ),
            _number(get("currentTotalPointsInPromotion")),
        ),
    )


def _restrictions(holder: dict[str, Any] | None) -> tuple[records.Restriction, ...]:
    if holder is None:
        return ()
    nested = _object(holder.get("restrictions"))
    if nested is not None:
        holder = nested
    found: list[records.Restriction] = []
    for kind, key in _RESTRICTION_KEYS:
        for item in _objects(holder.get(key)):
            found.append(_restriction(kind, item))
    return tuple(found)


def _restriction(kind: records.RestrictionKind, item: dict[str, Any]) -> records.Restriction:
    get = item.get
    name = get("name")
    if name is None:
        name = get("kpi")
    limit = get("value")
    if limit is None:
        limit = get("maxLimit")
    limit = _number(limit)
    if kind is _EXPIRY:
        restriction_type = None
        expiry_basis = _choice(_EXPIRY_BASES, get("type"))
    else:
        restriction_type = _choice(_RESTRICTION_TYPES, get("type"))
        expiry_basis = None
    return _build(
        records.Restriction,
        (
            kind,
            _text(name) or "",
            None if limit == -1 else limit,
            _number(get("currentCustomerUsage")),
            _choice(_LIMIT_SCOPES, get("limitOn")),
            _period(item) if restriction_type is _PERIOD_BASED else None,
            restriction_type,
            expiry_basis,
        ),
    )


def _period(item: dict[str, Any]) -> records.RestrictionPeriod | None:
    window = _text(item.get("periodType"))
    unit = _choice(_PERIOD_UNITS, item.get("periodUnit"))
    if window is None or unit is None:
        return None
    return _build(records.RestrictionPeriod, (window, unit))


def _timeline(item: dict[str, Any]) -> records.Timeline:
    get = item.get
    return _build(
        records.Timeline,
        (
            _identifier(get("enrollmentId")),
            _moment(get("enrollmentDate")),
            _moment(get("enrollmentExpiryDate")),
            _optional_identifier(get("enrollEventLogId")),
            tuple([_issual(i) for i in _objects(get("issuedDetails"))]),
        ),
    )


def _issual(item: dict[str, Any]) -> records.Issual:
    get = item.get
    return _build(
        records.Issual,
        (
            _identifier(_first(get("issualId"), get("id"))),
            _moment(get("issualDate")),
            _moment(get("issualExpiryDate")),
            _optional_identifier(get("issualEventLogId")),
            _integer(get("redeemedCount")) or 0,
        ),
    )


# ---------------------------------------------------------------- values, exact types only


def _first(value: object, alternative: object) -> object:
    return alternative if value is None else value


def _object(value: object) -> dict[str, Any] | None:
    if value is None or type(value) is dict:
        return value
    raise Unusual


def _objects(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if type(value) is not list:
        raise Unusual
    for item in value:
        if type(item) is not dict:
            raise Unusual
    return value


def _identifier(value: object) -> str:
    if type(value) is int:
        return str(value)
    if type(value) is str and value and not value[0].isspace() and not value[-1].isspace():
        return value
    raise Unusual


def _optional_identifier(value: object) -> str | None:
    return None if value is None else _identifier(value)


def _text(value: object) -> str | None:
    if value is None or type(value) is str:
        return value
    raise Unusual


def _flag(value: object) -> bool | None:
    if value is None or type(value) is bool:
        return value
    raise Unusual


def _number(value: object) -> float | None:
    kind = type(value)
    if kind is str:
        number = float(value)  # type: ignore[arg-type]
    elif kind is int:
        return float(value)  # type: ignore[arg-type]
    elif kind is float:
        number = value  # type: ignore[assignment]
    elif value is None:
        return None
    else:
        raise Unusual
    if number - number != 0:  # infinite or not a number
        raise Unusual
    return number


def _integer(value: object) -> int | None:
    if value is None or type(value) is int:
        return value
    raise Unusual


def _moment(value: object) -> datetime | None:
    if value is None:
        return None
    if type(value) is str and value[-1:] == "Z" and value[:1].isdigit():
        return datetime.fromisoformat(value)
    raise Unusual


def _choice(members: Mapping[object, E], value: object) -> E | None:
    """The member spelled exactly `value` (from an enum's `_value2member_map_`)."""
    if value is None:
        return None
    member = members.get(value)
    if member is None:
        raise Unusual
    return member
