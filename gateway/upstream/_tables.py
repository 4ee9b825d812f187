"""The customer view's field tables: what each record reads from which JSON keys, once.

A table lists, for every field of a record in `records` and in the record's
order, the JSON keys that may carry it (the preferred spelling first), the kind
of value it holds, whether it is required, and what a missing value reads as.
Both readers of the customer view read with these tables and nothing else:
`_parsing`, the tolerant reader, interprets them (every reading the vendor pages
allow, violations named); `_usual_shape`, the fast path, generates its code from
them (the usual JSON types only, declining anything else). What a kind means to
each reader is written once in each reader; which field is which kind, here.

`LIMITS` and `RESTRICTION_LISTS` also serve the promotion views (tolerant only).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from gateway.upstream import records

R = TypeVar("R", bound=tuple[Any, ...])


class Kind(enum.Enum):
    """What a field holds, which says how each reader reads it."""

    IDENTIFIER = "identifier"  # an integer or a string, read as a string
    TEXT = "text"
    FLAG = "flag"
    INTEGER = "integer"
    NUMBER = "number"
    LIMIT = "limit"  # a number where -1 means "no limit" (None)
    MOMENT = "moment"  # a date, read as an aware UTC datetime
    CHOICE = "choice"  # a value of `Field.choices`
    OBJECT = "object"  # a nested object, read with `Field.table`
    OBJECTS = "objects"  # a list of objects under one key, each read with `Field.table`
    # Some of the object's own keys, read with `Field.table`: None unless all are there.
    GROUP = "group"
    # An object holding the RESTRICTION_LISTS, itself or under its key "restrictions".
    RESTRICTIONS = "restrictions"
    CONSTANT = "constant"  # no key: always `Field.default`


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record and where it comes from."""

    name: str  # the record's field
    kind: Kind
    keys: tuple[str, ...] = ()  # the JSON spellings, the first present (not null) wins
    required: bool = False  # missing: a violation (tolerant), declined (fast)
    default: object = None  # what a missing value reads as
    choices: type[enum.Enum] | None = None  # CHOICE
    table: Table[Any] | None = None  # OBJECT, OBJECTS, GROUP
    # Read only when the named field (read first) is this value; the default otherwise.
    when: tuple[str, object] | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Table(Generic[R]):
    """A record and its fields, in the record's order."""

    record: type[R]
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        names = tuple(field.name for field in self.fields)
        if names != getattr(self.record, "_fields", None):
            raise TypeError(f"the table of {self.record.__name__} lists {names}")
        for field in self.fields:
            _check(field, names)

    @property
    def reading_order(self) -> tuple[Field, ...]:
        """The fields in the order they are read: those another field's `when`
        names first, then the rest, each group in the record's order."""
        first = {field.when[0] for field in self.fields if field.when is not None}
        return tuple(
            sorted(self.fields, key=lambda field: field.name not in first),
        )


def _check(field: Field, names: tuple[str, ...]) -> None:
    nested = field.kind in (Kind.OBJECT, Kind.OBJECTS, Kind.GROUP)
    keyless = field.kind in (Kind.GROUP, Kind.CONSTANT)
    if (
        (field.table is not None) != nested
        or (field.choices is not None) != (field.kind is Kind.CHOICE)
        or bool(field.keys) == keyless
        or (field.kind is Kind.OBJECTS and len(field.keys) != 1)
        or (field.when is not None and field.when[0] not in names)
    ):
        raise TypeError(f"the field {field.name} is not declared as its kind needs")


LIMITS = Table(
    records.Limits,
    (
        Field(
            "max_points_per_event", Kind.NUMBER, ("maxPointsPerEvent", "totalPointsPerEventLimit")
        ),
        Field("points_per_customer", Kind.NUMBER, ("pointsPerCustomer",)),
        Field(
            "times_per_customer",
            Kind.INTEGER,
            ("numberOfTimesPerCustomer", "numberOFTimesPerCustomer"),
        ),
        Field("total_points_in_promotion", Kind.NUMBER, ("totalPointsInPromotion",)),
    ),
)

PERIOD = Table(
    records.RestrictionPeriod,
    (
        Field("window", Kind.TEXT, ("periodType",)),
        Field("unit", Kind.CHOICE, ("periodUnit",), choices=records.PeriodUnit),
    ),
)


def _restriction(kind: records.RestrictionKind) -> Table[records.Restriction]:
    """A restriction of one kind: an expiry restriction's `type` is its basis;
    the others' `type` says whether the restriction has a period."""
    expiry = kind is records.RestrictionKind.EXPIRY
    typed = Field("restriction_type", Kind.CHOICE, ("type",), choices=records.RestrictionType)
    basis = Field("expiry_basis", Kind.CHOICE, ("type",), choices=records.ExpiryBasis)
    period_based = ("restriction_type", records.RestrictionType.PERIOD_BASED)
    return Table(
        records.Restriction,
        (
            Field("kind", Kind.CONSTANT, default=kind),
            Field("name", Kind.TEXT, ("name", "kpi"), default=""),
            Field("limit", Kind.LIMIT, ("value", "maxLimit")),
            Field("used", Kind.NUMBER, ("currentCustomerUsage",)),
            Field("scope", Kind.CHOICE, ("limitOn",), choices=records.LimitScope),
            Field("period", Kind.CONSTANT)
            if expiry
            else Field("period", Kind.GROUP, table=PERIOD, when=period_based),
            Field("restriction_type", Kind.CONSTANT) if expiry else typed,
            basis if expiry else Field("expiry_basis", Kind.CONSTANT),
        ),
    )


# The lists a restrictions object holds: kinds in schema order.
RESTRICTION_LISTS = tuple(
    (key, _restriction(kind))
    for kind, key in (
        (records.RestrictionKind.ISSUAL, "issualRestrictions"),
        (records.RestrictionKind.EARN, "earnRestrictions"),
        (records.RestrictionKind.REDEMPTION, "redemptionRestrictions"),
        (records.RestrictionKind.EXPIRY, "expiryRestrictions"),
    )
)
NESTED_RESTRICTIONS = "restrictions"

METADATA = Table(
    records.PromotionMetadata,
    (
        Field("key", Kind.TEXT, ("key",), default=""),
        Field("value", Kind.TEXT, ("value",)),
        Field("brand_defined", Kind.FLAG, ("brandDefined",)),
    ),
)

USAGE = Table(
    records.CustomerUsage,
    (
        Field("points", Kind.NUMBER, ("currentPointsPerCustomer",)),
        Field(
            "times",
            Kind.INTEGER,
            ("currentNumberOfTimesPerCustomer", "currentNumberOFTimesPerCustomer"),
        ),
        Field("total_points_in_promotion", Kind.NUMBER, ("currentTotalPointsInPromotion",)),
    ),
)

ISSUAL = Table(
    records.Issual,
    (
        Field("id", Kind.IDENTIFIER, ("issualId", "id"), required=True),
        Field("issued_at", Kind.MOMENT, ("issualDate",)),
        Field("expires_at", Kind.MOMENT, ("issualExpiryDate",)),
        Field("event_log_id", Kind.IDENTIFIER, ("issualEventLogId",)),
        Field("redeemed_count", Kind.INTEGER, ("redeemedCount",), default=0),
    ),
)

TIMELINE = Table(
    records.Timeline,
    (
        Field("enrollment_id", Kind.IDENTIFIER, ("enrollmentId",), required=True),
        Field("enrolled_at", Kind.MOMENT, ("enrollmentDate",)),
        Field("expires_at", Kind.MOMENT, ("enrollmentExpiryDate",)),
        Field("enroll_event_log_id", Kind.IDENTIFIER, ("enrollEventLogId",)),
        Field("issuals", Kind.OBJECTS, ("issuedDetails",), table=ISSUAL),
    ),
)

CUSTOMER_PROMOTION = Table(
    records.CustomerPromotion,
    (
        Field("promotion_id", Kind.IDENTIFIER, ("promotionId", "id"), required=True),
        Field("program_id", Kind.IDENTIFIER, ("programId",), required=True),
        Field("name", Kind.TEXT, ("promotionName", "name"), default=""),
        Field("description", Kind.TEXT, ("description",)),
        Field("identifier", Kind.TEXT, ("identifier",)),
        Field("active", Kind.FLAG, ("active", "isActive"), default=False),
        Field("start_date", Kind.MOMENT, ("startDate",)),
        Field("end_date", Kind.MOMENT, ("endDate",)),
        Field("event_name", Kind.TEXT, ("eventName",)),
        Field("type", Kind.CHOICE, ("pointsOfferType",), choices=records.PromotionType),
        Field("metadata", Kind.OBJECTS, ("promotionMetadata",), table=METADATA),
        Field("limits", Kind.OBJECT, ("limits",), table=LIMITS),
        Field("usage", Kind.OBJECT, ("customerUsage",), table=USAGE),
        Field("restrictions", Kind.RESTRICTIONS, ("promotionRestriction", "promotionRestrictions")),
        Field("timelines", Kind.OBJECTS, ("customerPromotionTimelines",), table=TIMELINE),
    ),
)
