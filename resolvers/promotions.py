"""Promotions: one by id, the paginated list, and the rules of a listed promotion."""

from __future__ import annotations

import asyncio
from datetime import datetime

from gateway.errors import BadUserInput
from gateway.upstream import records
from gateway.upstream.queries import PromotionFilter, PromotionPageQuery
from resolvers.context import RequestContext
from resolvers.pagination import Window, check_first, pages_spanning, start_after

CONNECTION = "promotions"


def numeric_id(argument: str, value: str) -> str:
    """The upstream's ids are numbers: refuse anything else before calling it."""
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise BadUserInput(f"`{argument}` must be a number.", details={"argumentName": argument})
    return value


async def promotion(
    context: RequestContext, program_id: str, promotion_id: str
) -> records.Promotion:
    key = (numeric_id("programId", program_id), numeric_id("id", promotion_id))
    return await context.loaders.promotion.load(key)


async def with_rulesets(context: RequestContext, promotion: records.Promotion) -> records.Promotion:
    if promotion.rulesets is not None:
        return promotion
    return await context.loaders.promotion.load((promotion.program_id, promotion.id))


def promotion_filter(
    program_id: str | None = None,
    status: records.PromotionStatus | None = None,
    activity: records.PromotionActivity | None = None,
    name: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
) -> PromotionFilter:
    if (start_date is None) != (end_date is None):
        raise BadUserInput(
            "Give both `filter.startDate` and `filter.endDate`, or neither.",
            details={"argumentName": "filter"},
        )
    return PromotionFilter(
        program_id=None if program_id is None else numeric_id("filter.programId", program_id),
        status=status,
        activity=activity,
        name=name,
        start_date=start_date,
        end_date=end_date,
    )


async def promotions(
    context: RequestContext, found: PromotionFilter, first: int, after: str | None
) -> Window[records.Promotion]:
    check_first(first)
    start = start_after(CONNECTION, after)
    size = context.settings.list_page_size
    numbers = pages_spanning(start, first, size)
    pages = await asyncio.gather(
        *(context.loaders.promotion_page.load(PromotionPageQuery(found, n, size)) for n in numbers)
    )
    listed = [promotion for page in pages for promotion in page.promotions]
    offset = start - numbers.start * size
    items = tuple(listed[offset : offset + first])
    total = pages[0].total_count
    return Window(items, start, total if total is not None else start + len(items))
