"""A customer and their promotions, with usage, restrictions and timelines."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionNode,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values
from strawberry import ID, Parent, Private

import resolvers.customers
from gateway.errors import BadUserInput
from gateway.upstream import records
from gateway.upstream.queries import CustomerIdentity, CustomerPromotionsQuery
from resolvers.context import RequestContext
from schema._engine import at_hand
from schema.arguments import ABSENT, given
from schema.cost import BY_ID, FREE, ONE_LOOKUP, costs
from schema.enums import CustomerPromotionStatus, PromotionSourceType, PromotionType
from schema.pagination import Connection, Edge
from schema.promotion import Info, Promotion, PromotionLimits, Restriction, served
from schema.scalars import Json
from schema.views import as_view, copier

field = strawberry.field


@strawberry.type(description="A free-form key and value the brand attached to a promotion.")
class PromotionMetadata:
    key: str = field(description="The key of the additional information.")
    value: str | None = field(description="Its value.")
    brand_defined: bool | None = field(description="Whether the brand defined it.")


@strawberry.type(description="What the customer has used of a promotion so far.")
class CustomerUsage:
    points: float | None = field(description="upstream: currentPointsPerCustomer")
    times: int | None = field(description="upstream: currentNumberOfTimesPerCustomer")
    total_points_in_promotion: float | None = field(
        description="upstream: currentTotalPointsInPromotion"
    )


@strawberry.type(description="One issue of the promotion to the customer under an enrolment.")
class Issual:
    id: ID = field(description="upstream: issualId")
    issued_at: datetime | None = field(description="upstream: issualDate")
    expires_at: datetime | None = field(description="upstream: issualExpiryDate")
    event_log_id: ID | None = field(description="upstream: issualEventLogId")
    redeemed_count: int = field(description="How often this issual was redeemed.")


@strawberry.type(
    description="One enrolment of the customer in a promotion, with what was issued under it."
)
class Timeline:
    enrollment_id: ID = field(description="The enrolment's upstream id.")
    enrolled_at: datetime | None = field(description="upstream: enrollmentDate")
    expires_at: datetime | None = field(description="upstream: enrollmentExpiryDate")
    enroll_event_log_id: ID | None = field(description="The event log entry of the enrolment.")
    issuals: list[Issual] = field(description="upstream: issuedDetails", metadata=costs(FREE))


def promotion_at_hand(
    promotion: resolvers.customers.WalletPromotion, context: RequestContext
) -> records.Promotion | None:
    """The promotion's details when the cache holds them fresh (a look: nothing counted)."""
    return resolvers.customers.cached_promotion_details(context, promotion)


def promotions_served(
    promotions: list[resolvers.customers.WalletPromotion], context: RequestContext
) -> None:
    resolvers.customers.cached_promotion_details_served(context, promotions)


def customer_promotion_details(
    promotion: Parent[resolvers.customers.WalletPromotion], info: Info
) -> Promotion | None:
    """Synchronous when the details are at hand; otherwise an awaitable, which
    graphql-core awaits like an async resolver's result."""
    cached = promotion_at_hand(promotion, info.context)
    if cached is not None:
        promotions_served([promotion], info.context)
        return as_view(cached, Promotion)
    return cast(Promotion | None, _load_promotion_details(promotion, info))


async def _load_promotion_details(
    promotion: resolvers.customers.WalletPromotion, info: Info
) -> Promotion | None:
    found = await resolvers.customers.promotion_details(info.context, promotion)
    served(info, found)
    return as_view(found, Promotion)


def customer_promotion_id(promotion: Parent[resolvers.customers.WalletPromotion]) -> ID:
    return ID(resolvers.customers.customer_promotion_id(promotion))


@strawberry.type(description="A promotion as one customer sees it.")
class CustomerPromotion:
    """Served as the record itself (`schema/views.py`), here the upstream record with
    its customer's id (`resolvers.customers.WalletPromotion`): its fields are the
    record's attributes, and its resolvers take the record as their parent."""

    id: ID = field(
        resolver=customer_promotion_id,
        description="Stable and unique across customers (the customer's, the program's and "
        "the promotion's ids): the key a normalized client cache keeps it under.",
        metadata=costs(FREE),
    )
    promotion_id: ID = field(description="The promotion's upstream id.")
    program_id: ID = field(description="The loyalty program the promotion belongs to.")
    name: str = field(description="upstream: promotionName")
    description: str | None = field(description="The promotion's description.")
    identifier: str | None = field(description="upstream: identifier (a UUID or a slug)")
    active: bool = field(description="Whether the promotion is active.")
    start_date: datetime | None = field(description="When the promotion starts.")
    end_date: datetime | None = field(description="When the promotion ends.")
    event_name: str | None = field(description="The event the promotion listens to.")
    type: PromotionType | None = field(
        description="Null when the upstream sends a type this schema does not know. "
        "upstream: pointsOfferType"
    )
    metadata: list[PromotionMetadata] = field(
        description="upstream: promotionMetadata", metadata=costs(FREE)
    )
    limits: PromotionLimits | None = field(description="The legacy limits object.")
    usage: CustomerUsage | None = field(description="upstream: customerUsage")
    restrictions: list[Restriction] = field(
        description="Kinds in the order ISSUAL, EARN, REDEMPTION, and within a kind in "
        "upstream\norder. upstream: promotionRestriction.*",
        metadata=costs(FREE),
    )
    timelines: list[Timeline] = field(
        description="upstream: customerPromotionTimelines", metadata=costs(FREE)
    )
    promotion: Promotion | None = field(
        resolver=customer_promotion_details,
        metadata=at_hand(promotion_at_hand, promotions_served) | costs(BY_ID),
        description="The full promotion (rulesets and all), loaded by id through the "
        "batched,\nper-request-deduplicated and cross-request-cached loader.\nNull, with "
        "an error, when that load fails; the rest of the customer stays.",
    )


@strawberry.type(description="A customer's promotion and its cursor.")
class CustomerPromotionEdge(Edge[CustomerPromotion]):
    node: CustomerPromotion = field(description="The customer's promotion.")


@strawberry.type(description="A page of one customer's promotions.")
class CustomerPromotionConnection(Connection[CustomerPromotion, CustomerPromotionEdge]):
    cursors = resolvers.customers.CONNECTION


@strawberry.type(description="A loyalty customer, found by one identifier.")
class Customer:
    """Copied from the lookup's record (`customer_of`), with the identity it was
    found by, which its promotions' lookups need."""

    customer_id: ID = field(name="id", description="upstream: customerId")
    warnings: list[Json] = field(
        description="Warnings the upstream attached to the lookup.", metadata=costs(FREE)
    )
    identity: Private[CustomerIdentity]

    @field(
        description="The customer's promotions with usage, restrictions and timelines.\n"
        "`first` is 0..100. `type` maps to the upstream promotionType filter\n"
        "(LOYALTY = DIRECT_ISSUE, LOYALTY_EARNING = ENROL_AND_ISSUE).",
        metadata=costs(ONE_LOOKUP),
    )
    async def promotions(
        self,
        info: Info,
        status: CustomerPromotionStatus | None = ABSENT,
        type: PromotionType | None = ABSENT,
        source_type: PromotionSourceType | None = ABSENT,
        program_ids: list[ID] | None = ABSENT,
        fetch_all_usage: bool | None = False,
        first: int | None = 20,
        after: str | None = ABSENT,
    ) -> CustomerPromotionConnection:
        query = resolvers.customers.promotions_query(
            self.identity,
            status=given(status),
            type=given(type),
            source_type=given(source_type),
            program_ids=given(program_ids),
            fetch_all_usage=fetch_all_usage,
            first=first,
            after=given(after),
        )
        window = await resolvers.customers.promotions(info.context, query)
        return CustomerPromotionConnection.of(window)


# `customer_of(page, identity=identity)`: the customer of a lookup's record.
customer_of = copier(Customer)


def selected_promotions(info: Info, identity: CustomerIdentity) -> list[CustomerPromotionsQuery]:
    """The lookups the `promotions` selections under this `customer` field will need.

    Walks the selection (through fragments, each once) with graphql-core's own
    argument coercion, so the lookups equal those `Customer.promotions` builds.
    Selections skipped by @skip/@include, and those whose arguments will fail
    (they report their own error), are left out.
    """
    raw = info._raw_info
    customer_type = raw.schema.get_type("Customer")
    assert isinstance(customer_type, GraphQLObjectType)
    definition = customer_type.fields["promotions"]
    # The resolve info carries the coerced values; the helpers want them wrapped.
    given: Any = raw.variable_values
    coerced: dict[str, Any] = getattr(given, "coerced", given)
    variables = VariableValues(sources={}, coerced=coerced)
    walk = _PromotionsWalk(identity, definition, variables, raw.fragments)
    for field_node in raw.field_nodes:
        if field_node.selection_set is not None:
            walk.visit(field_node.selection_set.selections)
    return walk.lookups


@dataclasses.dataclass
class _PromotionsWalk:
    """`selected_promotions`' walk. (A class, not nested functions: a nested
    function calling itself is a reference cycle, left for the GC per request.)"""

    identity: CustomerIdentity
    definition: GraphQLField
    variables: VariableValues
    fragments: dict[str, FragmentDefinitionNode]
    lookups: list[CustomerPromotionsQuery] = dataclasses.field(default_factory=list)
    seen_fragments: set[str] = dataclasses.field(default_factory=set)

    def visit(self, selections: Iterable[SelectionNode]) -> None:
        for node in selections:
            if not _included(node, self.variables):
                continue
            if isinstance(node, FieldNode):
                if node.name.value == "promotions":
                    self.add(get_argument_values(self.definition, node, self.variables))
            elif isinstance(node, InlineFragmentNode):
                self.visit(node.selection_set.selections)
            elif (
                isinstance(node, FragmentSpreadNode) and node.name.value not in self.seen_fragments
            ):
                self.seen_fragments.add(node.name.value)
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    self.visit(fragment.selection_set.selections)

    def add(self, arguments: dict[str, Any]) -> None:
        try:
            lookup = resolvers.customers.promotions_query(
                self.identity,
                status=arguments.get("status"),
                type=arguments.get("type"),
                source_type=arguments.get("sourceType"),
                program_ids=arguments.get("programIds"),
                fetch_all_usage=arguments.get("fetchAllUsage"),
                first=arguments.get("first"),
                after=arguments.get("after"),
            )
        except BadUserInput:
            return
        if lookup not in self.lookups:
            self.lookups.append(lookup)


def _included(node: SelectionNode, variables: VariableValues) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip is not None and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return include is None or include.get("if") is not False
