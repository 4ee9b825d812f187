"""The contract's enums, as GraphQL views of the domain enums in the records."""

from __future__ import annotations

import enum
from typing import TypeAlias, TypeVar

import strawberry

from gateway.upstream import records

E = TypeVar("E", bound=enum.Enum)


def _describe(kind: type[E], description: str, values: dict[str, str] | None = None) -> None:
    """Make a domain enum a GraphQL enum (strawberry marks the class itself)."""
    strawberry.enum(kind, description=description)
    for value in kind.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = (values or {}).get(value.name)


_describe(
    records.PromotionType,
    "upstream: pointsOfferType",
    {
        "GENERIC": "Available without issue.",
        "LOYALTY": "Direct issue.",
        "LOYALTY_EARNING": "Enrol and issue.",
    },
)
PromotionType: TypeAlias = records.PromotionType
_describe(records.PromotionStatus, "upstream: promotionStatus")
PromotionStatus: TypeAlias = records.PromotionStatus
_describe(
    records.PromotionActivity,
    "The event a promotion listens to. upstream: activity "
    "(CustomerRegistration, ..., TransactionAdd, ALL)",
)
PromotionActivity: TypeAlias = records.PromotionActivity
_describe(
    records.PromotionLevel,
    "Where a promotion applies: to a transaction (BILL) or to the customer (CUSTOMER). "
    "upstream: promotionType of the list endpoint",
    {"BILL": "A transaction-level promotion.", "CUSTOMER": "A customer-level promotion."},
)
PromotionLevel: TypeAlias = records.PromotionLevel
_describe(
    records.CustomerIdentifierType, "upstream: identifierName (mobile, email, externalId, id, cuid)"
)
CustomerIdentifierType: TypeAlias = records.CustomerIdentifierType
_describe(records.CustomerSource, "upstream: source")
CustomerSource: TypeAlias = records.CustomerSource
_describe(
    records.CustomerPromotionStatus,
    "Where the customer stands with a promotion. upstream: promotionStatusForCustomer",
    {
        "AVAILABLE_TO_ENROL": "Enrol-and-issue promotions the customer can still enrol in.",
        "AVAILABLE_TO_EARN": "Promotions the customer is eligible to earn from.",
        "AVAILABLE_TO_REDEEM": "Active promotions the customer can redeem now.",
        "EXPIRED": "Promotions whose end date is past.",
    },
)
CustomerPromotionStatus: TypeAlias = records.CustomerPromotionStatus
_describe(records.PromotionSourceType, "How a promotion was created. upstream: sourceType")
PromotionSourceType: TypeAlias = records.PromotionSourceType
_describe(
    records.RestrictionKind,
    "What a restriction limits: issual (enrolment), earning, redemption, or expiry.",
)
RestrictionKind: TypeAlias = records.RestrictionKind
_describe(records.LimitScope, "What a limit counts against. upstream: limitOn")
LimitScope: TypeAlias = records.LimitScope
_describe(
    records.PeriodUnit, "The length of a period-based restriction's window. upstream: periodUnit"
)
PeriodUnit: TypeAlias = records.PeriodUnit
_describe(
    records.RestrictionType,
    "Whether a restriction counts over a moving period. upstream: type",
)
RestrictionType: TypeAlias = records.RestrictionType
_describe(
    records.ExpiryBasis,
    "What an expiry restriction counts from: the promotion's own dates, or a custom "
    "number of days. upstream: type of expiryRestrictions",
)
ExpiryBasis: TypeAlias = records.ExpiryBasis
