"""Promotions with their limits, restrictions and reward rules.

The promotion and everything in it are served as their records themselves
(`schema/views.py`): the fields are the records' attributes. The list's
connection and edge are the shapes of `schema/pagination.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry import ID, Parent

import resolvers.promotions
from gateway.upstream import records
from resolvers.context import RequestContext
from schema.cost import BY_ID_UNLESS_LOADED, FREE, costs
from schema.enums import (
    ExpiryBasis,
    LimitScope,
    PeriodUnit,
    PromotionLevel,
    PromotionStatus,
    PromotionType,
    RestrictionKind,
    RestrictionType,
)
from schema.pagination import Connection, Edge
from schema.scalars import Json
from schema.views import views

Info = strawberry.Info[RequestContext, None]


def served(info: Info, *found: object) -> None:
    """This field holds `found`: flag its path in `extensions.stale` if any came stale."""
    info.context.stale.mark(info.path.as_list(), *found)


field = strawberry.field


@strawberry.type(
    description="The legacy limits object, numbers as the upstream sends them "
    "(0 or -1 mean no limit there)."
)
class PromotionLimits:
    max_points_per_event: float | None = field(
        description="upstream: maxPointsPerEvent or totalPointsPerEventLimit"
    )
    points_per_customer: float | None = field(
        description="Most points one customer may earn. upstream: pointsPerCustomer"
    )
    times_per_customer: int | None = field(
        description="upstream: numberOfTimesPerCustomer / numberOFTimesPerCustomer"
    )
    total_points_in_promotion: float | None = field(
        description="Most points across all customers. upstream: totalPointsInPromotion"
    )


@strawberry.type(description="The moving window of a period-based restriction.")
class RestrictionPeriod:
    window: str = field(description="upstream: periodType, e.g. MOVING_WINDOW")
    unit: PeriodUnit = field(description="How long the window is. upstream: periodUnit")


@strawberry.type(description="One limit on issuing, earning, redeeming, or when it expires.")
class Restriction:
    kind: RestrictionKind = field(description="Which group of restrictions this one belongs to.")
    name: str = field(
        description="upstream: name (promotion views) or kpi (customer view), "
        "e.g. MAX_NUMBER_OF_ISSUALS_PER_CUSTOMER, NUMBER_OF_POINTS"
    )
    limit: float | None = field(
        description="Null when unlimited (the upstream says -1). For EXPIRY: days. "
        "upstream: value / maxLimit"
    )
    used: float | None = field(
        description="The customer's usage so far; customer view only. "
        "upstream: currentCustomerUsage"
    )
    scope: LimitScope | None = field(description="upstream: limitOn")
    period: RestrictionPeriod | None = field(
        description="Null unless the restriction is PERIOD_BASED."
    )
    restriction_type: RestrictionType | None = field(
        name="type",
        description="PERIOD_BASED or NON_PERIOD_BASED; null for EXPIRY. upstream: type",
    )
    expiry_basis: ExpiryBasis | None = field(
        description="For EXPIRY only: counted from the promotion's dates or a custom "
        "number of days. upstream: type"
    )


@strawberry.type(description="One action a rule takes when its expression holds.")
class RuleAction:
    id: ID = field(description="The action's upstream id.")
    name: str = field(description="upstream: actionName, e.g. PE_ISSUE_VOUCHER_ACTION")
    description: str | None = field(description="What the action gives, in words.")
    case: str = field(description='The caseToActions key the action hangs under, e.g. "true".')
    properties: Json | None = field(description="upstream: mandatoryPropertiesValues")
    complex_properties: Json | None = field(
        description="upstream: mandatoryComplexPropertiesValues"
    )
    action_class: str | None = field(description="The engine's implementation class.")


@strawberry.type(description="A filter that decides which events a ruleset or rule sees.")
class RuleFilter:
    id: ID = field(description="The filter's upstream id.")
    name: str = field(description="The filter's name, e.g. LoyaltyType, EventSource.")
    is_include: bool | None = field(
        description="True to include matching events, false to exclude."
    )
    values: Json | None = field(description="upstream: propertyToValues")
    class_name: str | None = field(description="The engine's implementation class.")
    org_id: ID | None = field(description="upstream: orgID")
    rule_id: ID | None = field(description="upstream: ruleID (-1 when the filter is on a ruleset)")


@strawberry.type(description="One reward rule: an expression and the actions taken when it holds.")
class Rule:
    id: ID = field(description="The rule's upstream id.")
    name: str | None = field(description="The rule's name.")
    description: str | None = field(description="The rule's description.")
    expression: str | None = field(description="upstream: exp")
    expression_json: str | None = field(
        description="The expression as JSON text. upstream: expJSON"
    )
    json_type: str | None = field(description="upstream: jsonType")
    expression_data_type: str | None = field(description="upstream: expDataType")
    is_active: bool = field(description="Whether the rule is active.")
    priority: int | None = field(description="The rule's priority (-1: none).")
    start_date: datetime | None = field(description="When the rule starts applying.")
    end_date: datetime | None = field(description="When the rule stops applying.")
    created_on: datetime | None = field(description="When the rule was created.")
    created_by: ID | None = field(description="Who created the rule.")
    modified_on: datetime | None = field(description="When the rule was last modified.")
    modified_by: ID | None = field(description="Who last modified the rule.")
    rule_scope: str | None = field(
        description="Where the rule runs, e.g. SERVER. upstream: ruleScope"
    )
    ruleset_id: ID | None = field(description="upstream: ruleSetId")
    updated_via_new_ui: bool | None = field(
        name="updatedViaNewUI", description="Whether the rule was last edited in the new UI."
    )
    actions: list[RuleAction] = field(
        description="Flattened from upstream caseToActions, in order.", metadata=costs(FREE)
    )
    filters: list[RuleFilter] = field(
        description="upstream: filterInfo of the rule", metadata=costs(FREE)
    )


@strawberry.type(description="A set of reward rules of a promotion. upstream: rulesetInfos[]")
class Ruleset:
    id: ID = field(description="The ruleset's upstream id.")
    name: str | None = field(description="The ruleset's name.")
    description: str | None = field(description="The ruleset's description.")
    scope: str | None = field(description="upstream: ruleScope")
    start_date: datetime | None = field(description="When the ruleset starts applying.")
    end_date: datetime | None = field(description="When the ruleset stops applying.")
    rules: list[Rule] = field(
        description="The ruleset's rules, in upstream order.", metadata=costs(FREE)
    )
    filters: list[RuleFilter] = field(description="upstream: filterInfo", metadata=costs(FREE))
    org_name: str | None = field(description="The name of the organisation owning the ruleset.")
    org_id: ID | None = field(description="upstream: orgID")
    context_id: ID | None = field(description="upstream: contextID (the program's id)")
    context_type: str | None = field(description="What the ruleset hangs on, e.g. program.")
    package_name: str | None = field(description="upstream: packageName")
    event_type: str | None = field(description="upstream: eventType")
    capping_info: Json | None = field(description="Capping of the ruleset. upstream: cappingInfo")
    created_on: datetime | None = field(description="When the ruleset was created.")
    created_by: ID | None = field(description="Who created the ruleset.")
    modified_on: datetime | None = field(description="When the ruleset was last modified.")
    modified_by: ID | None = field(description="Who last modified the ruleset.")
    updated_via_new_ui: bool | None = field(
        name="updatedViaNewUI", description="Whether the ruleset was last edited in the new UI."
    )
    private: bool | None = field(description="Whether the ruleset is private.")


def promotion_rulesets(promotion: Parent[records.Promotion], info: Info) -> list[Ruleset] | None:
    """Synchronous when the record carries its rules (it was read by id, and its
    staleness was flagged where it was loaded); otherwise an awaitable, which
    graphql-core awaits like an async resolver's result."""
    if promotion.rulesets is not None:
        return views(promotion.rulesets, Ruleset)
    return cast(list[Ruleset] | None, _load_rulesets(promotion, info))


async def _load_rulesets(promotion: records.Promotion, info: Info) -> list[Ruleset] | None:
    full = await resolvers.promotions.with_rulesets(info.context, promotion)
    served(info, full)
    return views(full.rulesets or (), Ruleset)


@strawberry.type(
    description="A loyalty promotion: its dates, status, limits, restrictions and rules."
)
class Promotion:
    """Served as the record itself (`schema/views.py`): its fields are the record's
    attributes, and its resolver takes the record as its parent."""

    id: ID = field(description="The promotion's upstream id.")
    program_id: ID = field(description="The loyalty program the promotion belongs to.")
    program_name: str | None = field(description="The program's name.")
    name: str = field(description="The promotion's name.")
    description: str | None = field(description="The promotion's description.")
    identifier: str | None = field(description="upstream: identifier (a UUID or a slug)")
    status: PromotionStatus | None = field(
        description="Null when the upstream sends a status this schema does not know."
    )
    type: PromotionType | None = field(
        description="Null when the upstream sends a type this schema does not know."
    )
    active: bool = field(description="upstream: isActive")
    start_date: datetime | None = field(description="When the promotion starts.")
    end_date: datetime | None = field(description="When the promotion ends.")
    last_updated_at: datetime | None = field(description="upstream: lastUpdateDate")
    last_updated_by: ID | None = field(description="Who last updated the promotion.")
    event_name: str | None = field(
        description="The event the promotion listens to, e.g. TRANSACTIONADD."
    )
    event_sub_type_name: str | None = field(
        description="The generic event's sub-type, when there is one. upstream: eventSubTypeName"
    )
    limits: PromotionLimits | None = field(
        description="Null where the upstream view carries no limits object (the list endpoint)."
    )
    restrictions: list[Restriction] = field(
        description="Every restriction of every kind, flattened: kinds in the order ISSUAL, "
        "EARN,\nREDEMPTION, EXPIRY, and within a kind in upstream order.\n"
        "upstream: promotionRestrictions.restrictions.*",
        metadata=costs(FREE),
    )
    is_stackable: bool | None = field(description="Whether the promotion stacks with others.")
    is_exclusive: bool | None = field(description="Whether the promotion excludes others.")
    is_always_apply: bool | None = field(description="Whether the promotion always applies.")
    is_considered_for_ranking: bool | None = field(
        description="Whether the promotion takes part in ranking."
    )
    allocate_points_on: str | None = field(
        description="What points are allocated on, by event type, e.g. BILL. By-id view only."
    )
    use_proportions: bool | None = field(
        description="Whether proportions are used. By-id view only."
    )
    loyalty_earning_type: str | None = field(
        description="upstream: loyaltyEarningType (documented as not in use)"
    )
    expiry_reminder: Json | None = field(description="The expiry reminder settings.")
    start_rule_identifier: str | None = field(
        description="The ruleset that defines the reward conditions. List view only."
    )
    level: PromotionLevel | None = field(
        description="Transaction- or customer-level. upstream: promotionType (list view only)"
    )
    scope: str | None = field(description="The promotion's scope.")
    capping_status: bool | None = field(
        description="Whether reward capping is on; null without a fixed-window calendar."
    )
    target_group_ids: list[ID] | None = field(
        description="upstream: targetGroupIds", metadata=costs(FREE)
    )
    target_rule_ids: list[ID] | None = field(
        description="upstream: targetRuleIds", metadata=costs(FREE)
    )
    linked_target_groups: Json | None = field(
        description="upstream: linkedTargetGroupVsTargetRuleIdMap"
    )
    skip_earned_date_check_on_redeem: bool | None = field(
        description="Whether redemption skips the earned-date check."
    )
    rulesets: list[Ruleset] | None = field(
        resolver=promotion_rulesets,
        description="The reward rules. Only the get-by-id endpoint carries them: on a "
        "promotion\nthat came from a list, this resolves through the batched, cached "
        "by-id loader.\nNull, with an error, when that load fails; the rest of the "
        "promotion and its\nsiblings stay. upstream: rulesetInfos",
        metadata=costs(BY_ID_UNLESS_LOADED),
    )


@strawberry.type(description="A promotion and its cursor.")
class PromotionEdge(Edge[Promotion]):
    node: Promotion = field(description="The promotion.")


@strawberry.type(description="A page of the org's promotions.")
class PromotionConnection(Connection[Promotion, PromotionEdge]):
    cursors = resolvers.promotions.CONNECTION
