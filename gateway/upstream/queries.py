"""What the gateway asks the upstream, as typed values. `client` turns them into URLs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.upstream.records import (
    CustomerIdentifierType,
    CustomerPromotionStatus,
    CustomerSource,
    PromotionActivity,
    PromotionSourceType,
    PromotionStatus,
    PromotionType,
)


@dataclass(frozen=True, slots=True)
class PromotionFilter:
    """Filters of the list endpoint. Dates come as a pair or not at all."""

    program_id: str | None = None
    status: PromotionStatus | None = None
    activity: PromotionActivity | None = None
    name: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class PromotionPageQuery:
    """One page of the list endpoint: `page` is a page NUMBER of `size` entries."""

    filter: PromotionFilter
    page: int
    size: int


@dataclass(frozen=True, slots=True)
class CustomerIdentity:
    identifier_type: CustomerIdentifierType
    identifier_value: str
    source: CustomerSource


@dataclass(frozen=True, slots=True)
class CustomerPromotionsQuery:
    """One customer lookup: `start` is a start INDEX, `limit` 0..100."""

    customer: CustomerIdentity
    start: int = 0
    limit: int = 0
    status: CustomerPromotionStatus | None = None
    type: PromotionType | None = None
    source_type: PromotionSourceType | None = None
    program_ids: tuple[str, ...] = ()
    fetch_all_usage: bool = False
