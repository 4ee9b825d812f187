"""The root of the contract: a promotion, the promotions list, a customer."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import ID

import resolvers.customers
import resolvers.promotions
from gateway.upstream import records
from resolvers.pagination import DEFAULT_FIRST
from schema.arguments import ABSENT, given
from schema.cost import BY_ID, LIST_PAGES, LOOKUPS, costs
from schema.customer import Customer, customer_of, selected_promotions
from schema.enums import CustomerIdentifierType, CustomerSource, PromotionActivity, PromotionStatus
from schema.promotion import Info, Promotion, PromotionConnection, served
from schema.views import as_view

field = strawberry.field


@strawberry.input(description="Filters of the promotions list; all of them optional.")
class PromotionFilter:
    program_id: ID | None = field(default=ABSENT, description="Only this program's promotions.")
    status: PromotionStatus | None = field(
        default=ABSENT, description="Only promotions in this status."
    )
    activity: PromotionActivity | None = field(
        default=ABSENT, description="Only promotions listening to this event."
    )
    name: str | None = field(
        default=ABSENT, description="Exact promotion name. upstream: promotionName"
    )
    start_date: datetime | None = field(
        default=ABSENT,
        description="Give both startDate and endDate, or neither (the upstream requires the pair).",
    )
    end_date: datetime | None = field(
        default=ABSENT, description="The end of the date range; goes with startDate."
    )


@strawberry.type(description="Read loyalty promotions and customers' promotions.")
class Query:
    @field(
        description="One promotion with its rulesets, limits and restrictions\n"
        "(upstream: GET promotion by id). Null, with an error coded\n"
        "PROMOTION_NOT_FOUND or PROGRAM_NOT_FOUND, when it does not exist.",
        metadata=costs(BY_ID),
    )
    async def promotion(self, info: Info, program_id: ID, id: ID) -> Promotion | None:
        found = await resolvers.promotions.promotion(info.context, program_id, id)
        served(info, found)
        return as_view(found, Promotion)

    @field(
        description="All loyalty promotions of the org (upstream: GET promotions list),\n"
        "filtered and paginated. `first` is 0..100.",
        metadata=costs(LIST_PAGES),
    )
    async def promotions(
        self,
        info: Info,
        filter: PromotionFilter | None = ABSENT,
        first: int | None = 20,
        after: str | None = ABSENT,
    ) -> PromotionConnection:
        wanted = given(filter) or PromotionFilter()
        found = resolvers.promotions.promotion_filter(
            program_id=given(wanted.program_id),
            status=given(wanted.status),
            activity=given(wanted.activity),
            name=given(wanted.name),
            start_date=given(wanted.start_date),
            end_date=given(wanted.end_date),
        )
        count = DEFAULT_FIRST if first is None else first
        window = await resolvers.promotions.promotions(info.context, found, count, given(after))
        served(info, *window.items)
        return PromotionConnection.of(window)

    @field(
        description="A customer looked up by one identifier (upstream: GET customer promotion "
        "data).\nNull, with an error coded CUSTOMER_NOT_FOUND, when no customer matches.",
        metadata=costs(LOOKUPS),
    )
    async def customer(
        self,
        info: Info,
        identifier_type: CustomerIdentifierType,
        identifier_value: str,
        source: CustomerSource | None = records.CustomerSource.INSTORE,
    ) -> Customer | None:
        identity = resolvers.customers.identity(identifier_type, identifier_value, source)
        lookups = selected_promotions(info, identity)
        page = await resolvers.customers.customer(info.context, identity, lookups)
        return customer_of(page, identity=identity)
