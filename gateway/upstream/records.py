"""Typed, immutable records of what the upstream sends.

Everything above `gateway.upstream` sees these, never raw JSON. Identifiers are
strings (the upstream sends numbers, sometimes strings); dates are aware UTC
datetimes; enum fields are None when the upstream sends a value we do not know.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

JSON: TypeAlias = "dict[str, JSON] | list[JSON] | str | int | float | bool | None"


class PromotionStatus(enum.Enum):
    LIVE = "LIVE"
    UPCOMING = "UPCOMING"
    COMPLETED = "COMPLETED"
    INACTIVE = "INACTIVE"
    PENDING = "PENDING"


class PromotionType(enum.Enum):
    GENERIC = "GENERIC"
    LOYALTY = "LOYALTY"
    LOYALTY_EARNING = "LOYALTY_EARNING"


class PromotionLevel(enum.Enum):
    """Where a promotion applies (list endpoint `promotionType`)."""

    BILL = "BILL"
    CUSTOMER = "CUSTOMER"


class PromotionActivity(enum.Enum):
    CUSTOMER_REGISTRATION = "CUSTOMER_REGISTRATION"
    CUSTOMER_UPDATE = "CUSTOMER_UPDATE"
    GENERIC_EVENT = "GENERIC_EVENT"
    NEW_BILL = "NEW_BILL"
    POINTS_CONTRIBUTION_TO_GROUP = "POINTS_CONTRIBUTION_TO_GROUP"
    POINTS_TRANSFER = "POINTS_TRANSFER"
    RETURN_BILL = "RETURN_BILL"
    TARGET_COMPLETED = "TARGET_COMPLETED"
    TRANSACTION_ADD = "TRANSACTION_ADD"
    ALL = "ALL"


class CustomerIdentifierType(enum.Enum):
    MOBILE = "MOBILE"
    EMAIL = "EMAIL"
    EXTERNAL_ID = "EXTERNAL_ID"
    ID = "ID"
    CUID = "CUID"


class CustomerSource(enum.Enum):
    FACEBOOK = "FACEBOOK"
    WEB_ENGAGE = "WEB_ENGAGE"
    INSTORE = "INSTORE"
    MARTJACK = "MARTJACK"
    TMALL = "TMALL"
    TAOBAO = "TAOBAO"
    JD = "JD"
    ECOMMERCE = "ECOMMERCE"
    WEBSITE = "WEBSITE"
    LINE = "LINE"
    ALL = "ALL"


class CustomerPromotionStatus(enum.Enum):
    AVAILABLE_TO_ENROL = "AVAILABLE_TO_ENROL"
    AVAILABLE_TO_EARN = "AVAILABLE_TO_EARN"
    AVAILABLE_TO_REDEEM = "AVAILABLE_TO_REDEEM"
    EXPIRED = "EXPIRED"


class PromotionSourceType(enum.Enum):
    UI = "UI"
    API = "API"
    CAMPAIGN = "CAMPAIGN"


class RestrictionKind(enum.Enum):
    ISSUAL = "ISSUAL"
    EARN = "EARN"
    REDEMPTION = "REDEMPTION"
    EXPIRY = "EXPIRY"


class LimitScope(enum.Enum):
    EVENT = "EVENT"
    CUSTOMER = "CUSTOMER"
    PROMOTION = "PROMOTION"


class PeriodUnit(enum.Enum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class RestrictionType(enum.Enum):
    PERIOD_BASED = "PERIOD_BASED"
    NON_PERIOD_BASED = "NON_PERIOD_BASED"


class ExpiryBasis(enum.Enum):
    """What an expiry restriction counts from (upstream `type` of expiryRestrictions)."""

    PROMOTION = "PROMOTION"
    CUSTOM = "CUSTOM"


@dataclass(frozen=True, slots=True)
class Limits:
    max_points_per_event: float | None
    points_per_customer: float | None
    times_per_customer: int | None
    total_points_in_promotion: float | None


@dataclass(frozen=True, slots=True)
class RestrictionPeriod:
    window: str
    unit: PeriodUnit


@dataclass(frozen=True, slots=True)
class Restriction:
    kind: RestrictionKind
    name: str
    limit: float | None
    used: float | None
    scope: LimitScope | None
    period: RestrictionPeriod | None
    restriction_type: RestrictionType | None
    expiry_basis: ExpiryBasis | None


@dataclass(frozen=True, slots=True)
class RuleAction:
    id: str
    name: str
    description: str | None
    case: str
    properties: JSON
    complex_properties: JSON
    action_class: str | None


@dataclass(frozen=True, slots=True)
class RuleFilter:
    id: str
    name: str
    is_include: bool | None
    values: JSON
    class_name: str | None
    org_id: str | None
    rule_id: str | None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str | None
    description: str | None
    expression: str | None
    expression_json: str | None
    json_type: str | None
    expression_data_type: str | None
    is_active: bool
    priority: int | None
    start_date: datetime | None
    end_date: datetime | None
    created_on: datetime | None
    created_by: str | None
    modified_on: datetime | None
    modified_by: str | None
    rule_scope: str | None
    ruleset_id: str | None
    updated_via_new_ui: bool | None
    actions: tuple[RuleAction, ...]
    filters: tuple[RuleFilter, ...]


@dataclass(frozen=True, slots=True)
class Ruleset:
    id: str
    name: str | None
    description: str | None
    scope: str | None
    start_date: datetime | None
    end_date: datetime | None
    rules: tuple[Rule, ...]
    filters: tuple[RuleFilter, ...]
    org_name: str | None
    org_id: str | None
    context_id: str | None
    context_type: str | None
    package_name: str | None
    event_type: str | None
    capping_info: JSON
    created_on: datetime | None
    created_by: str | None
    modified_on: datetime | None
    modified_by: str | None
    updated_via_new_ui: bool | None
    private: bool | None


@dataclass(frozen=True, slots=True)
class Promotion:
    """A promotion from the by-id endpoint (with rulesets) or the list (without)."""

    id: str
    program_id: str
    program_name: str | None
    name: str
    description: str | None
    identifier: str | None
    status: PromotionStatus | None
    type: PromotionType | None
    active: bool
    start_date: datetime | None
    end_date: datetime | None
    last_updated_at: datetime | None
    last_updated_by: str | None
    event_name: str | None
    event_sub_type_name: str | None
    limits: Limits | None
    restrictions: tuple[Restriction, ...]
    is_stackable: bool | None
    is_exclusive: bool | None
    is_always_apply: bool | None
    is_considered_for_ranking: bool | None
    # None when the view carries no rules (list items): load by id for them.
    rulesets: tuple[Ruleset, ...] | None
    allocate_points_on: str | None
    use_proportions: bool | None
    loyalty_earning_type: str | None
    expiry_reminder: JSON
    start_rule_identifier: str | None
    level: PromotionLevel | None
    scope: str | None
    capping_status: bool | None
    target_group_ids: tuple[str, ...] | None
    target_rule_ids: tuple[str, ...] | None
    linked_target_groups: JSON
    skip_earned_date_check_on_redeem: bool | None


@dataclass(frozen=True, slots=True)
class PromotionPage:
    """One page of the list endpoint."""

    promotions: tuple[Promotion, ...]
    total_count: int | None
    page_number: int | None
    page_size: int | None
    page_count: int | None


@dataclass(frozen=True, slots=True)
class PromotionMetadata:
    key: str
    value: str | None
    brand_defined: bool | None


@dataclass(frozen=True, slots=True)
class CustomerUsage:
    points: float | None
    times: int | None
    total_points_in_promotion: float | None


@dataclass(frozen=True, slots=True)
class Issual:
    id: str
    issued_at: datetime | None
    expires_at: datetime | None
    event_log_id: str | None
    redeemed_count: int


@dataclass(frozen=True, slots=True)
class Timeline:
    enrollment_id: str
    enrolled_at: datetime | None
    expires_at: datetime | None
    enroll_event_log_id: str | None
    issuals: tuple[Issual, ...]


@dataclass(frozen=True, slots=True)
class CustomerPromotion:
    promotion_id: str
    program_id: str
    name: str
    description: str | None
    identifier: str | None
    active: bool
    start_date: datetime | None
    end_date: datetime | None
    event_name: str | None
    type: PromotionType | None
    metadata: tuple[PromotionMetadata, ...]
    limits: Limits | None
    usage: CustomerUsage | None
    restrictions: tuple[Restriction, ...]
    timelines: tuple[Timeline, ...]


@dataclass(frozen=True, slots=True)
class CustomerPage:
    """One customer lookup: the customer and one page of their promotions."""

    customer_id: str
    promotions: tuple[CustomerPromotion, ...]
    total_count: int | None
    warnings: tuple[JSON, ...]
