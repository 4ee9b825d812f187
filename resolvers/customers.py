"""A customer and their promotions, in as few upstream calls as the query allows.

The customer lookup returns the customer and a page of promotions together, so
`customer` starts the lookups that its `promotions` selections will need (all of
them at once) and answers from the first; each `promotions` field then finds its
own lookup already under way in the request's loader.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from gateway.errors import BadUserInput
from gateway.upstream import records
from gateway.upstream.queries import CustomerIdentity, CustomerPromotionsQuery
from resolvers.context import RequestContext
from resolvers.pagination import DEFAULT_FIRST, Window, check_first, start_after
from resolvers.promotions import numeric_id

CONNECTION = "customer-promotions"


class WalletPromotion(NamedTuple):
    """A customer's promotion as it is served: whose it is (`customer_id`, what
    `CustomerPromotion.id` is made of besides the promotion's ids) and the upstream
    record's fields, in its order (the upstream record is the promotion alone;
    tests/resolvers/test_customers.py checks the two still agree)."""

    customer_id: str
    promotion_id: str
    program_id: str
    name: str
    description: str | None
    identifier: str | None
    active: bool
    start_date: datetime | None
    end_date: datetime | None
    event_name: str | None
    type: records.PromotionType | None
    metadata: tuple[records.PromotionMetadata, ...]
    limits: records.Limits | None
    usage: records.CustomerUsage | None
    restrictions: tuple[records.Restriction, ...]
    timelines: tuple[records.Timeline, ...]

    @classmethod
    def of(cls, customer_id: str, promotion: records.CustomerPromotion) -> WalletPromotion:
        """`promotion` in the wallet of the customer `customer_id` (never empty: ids
        made without it could collide across customers)."""
        if not customer_id:
            raise ValueError("a customer's promotion needs the customer's id")
        return cls._make((customer_id, *promotion))


def customer_promotion_id(promotion: WalletPromotion) -> str:
    """Stable and unique across customers: the customer's id, the program's and the
    promotion's, so a normalized client cache keeps each customer's usage apart."""
    return f"{promotion.customer_id}:{promotion.program_id}:{promotion.promotion_id}"


def identity(
    identifier_type: records.CustomerIdentifierType,
    identifier_value: str,
    source: records.CustomerSource | None,
) -> CustomerIdentity:
    if not identifier_value.strip():
        raise BadUserInput(
            "`identifierValue` must not be empty.", details={"argumentName": "identifierValue"}
        )
    return CustomerIdentity(
        identifier_type, identifier_value, source or records.CustomerSource.INSTORE
    )


def promotions_query(
    customer: CustomerIdentity,
    *,
    status: records.CustomerPromotionStatus | str | None = None,
    type: records.PromotionType | str | None = None,
    source_type: records.PromotionSourceType | str | None = None,
    program_ids: Iterable[object] | None = None,
    fetch_all_usage: bool | None = False,
    first: int | None = DEFAULT_FIRST,
    after: str | None = None,
) -> CustomerPromotionsQuery:
    """The lookup that serves `Customer.promotions(...)` with these arguments."""
    return CustomerPromotionsQuery(
        customer=customer,
        start=start_after(CONNECTION, after),
        limit=check_first(DEFAULT_FIRST if first is None else first),
        status=None if status is None else records.CustomerPromotionStatus(status),
        type=None if type is None else records.PromotionType(type),
        source_type=None if source_type is None else records.PromotionSourceType(source_type),
        program_ids=tuple(numeric_id("programIds", str(p)) for p in program_ids or ()),
        fetch_all_usage=bool(fetch_all_usage),
    )


async def customer(
    context: RequestContext,
    customer: CustomerIdentity,
    selections: Sequence[CustomerPromotionsQuery],
) -> records.CustomerPage:
    lookups = list(selections) or [CustomerPromotionsQuery(customer)]
    pending = [context.loaders.customer_promotions.load(lookup) for lookup in lookups]
    return await pending[0]


async def promotions(
    context: RequestContext, query: CustomerPromotionsQuery
) -> Window[WalletPromotion]:
    page = await context.loaders.customer_promotions.load(query)
    total = page.total_count
    return Window(
        tuple(WalletPromotion.of(page.customer_id, promotion) for promotion in page.promotions),
        query.start,
        total if total is not None else query.start + len(page.promotions),
    )


async def promotion_details(
    context: RequestContext, promotion: WalletPromotion
) -> records.Promotion:
    return await context.loaders.promotion.load((promotion.program_id, promotion.promotion_id))


def cached_promotion_details(
    context: RequestContext, promotion: WalletPromotion
) -> records.Promotion | None:
    return context.loaders.cached_promotion((promotion.program_id, promotion.promotion_id))


def cached_promotion_details_served(
    context: RequestContext, promotions: list[WalletPromotion]
) -> None:
    context.loaders.cached_promotions_served(
        [(promotion.program_id, promotion.promotion_id) for promotion in promotions]
    )
