"""The sandbox's seed: the vendor pages' example records plus generated ones.

Deterministic for a given day: generated dates are relative to today (UTC) so
there are always live, upcoming and finished promotions. The vendor examples
keep their own (past) dates and awkward values.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

PROGRAMS = {
    "469": "Default Program",
    "973": "DocDemoDefaultProgram",
    "983": "DocTransferPoints",
    "1085": "Retail Program",
}

TYPES = ("GENERIC", "LOYALTY", "LOYALTY_EARNING")
EVENTS = (
    "TRANSACTIONADD",
    "CUSTOMERREGISTRATION",
    "GENERICEVENT",
    "TARGETCOMPLETED",
    "POINTSREDEMPTION",
)
DATE_FORMS = ("minutes", "seconds", "millis", "offset")


@dataclass
class Promotion:
    """One promotion as the sandbox holds it (rendered per endpoint by `views`)."""

    id: int
    program_id: int
    name: str
    description: str
    type: str
    status: str
    start: datetime
    end: datetime
    date_form: str
    is_active: bool
    event_name: str
    identifier: str
    level: str
    source_type: str
    last_update: datetime
    limits: dict[str, Any]
    restrictions: dict[str, list[dict[str, Any]]]
    settings: dict[str, Any]
    rulesets: list[dict[str, Any]]
    metadata: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Enrolment:
    promotion_id: int
    usage: dict[str, Any]
    timelines: list[dict[str, Any]]
    restriction_usage: str


@dataclass
class Customer:
    id: int
    mobile: str
    email: str
    external_id: str
    cuid: str
    enrolments: list[Enrolment]


IDENTIFIER_ATTRIBUTES = {
    "mobile": "mobile",
    "email": "email",
    "externalId": "external_id",
    "id": "id",
    "cuid": "cuid",
}


@dataclass
class Dataset:
    promotions: dict[int, Promotion]
    customers: list[Customer]

    def customer_by(self, identifier_name: str, value: str) -> Customer | None:
        return self._index.get((identifier_name, value))

    @cached_property
    def _index(self) -> dict[tuple[str, str], Customer]:
        index: dict[tuple[str, str], Customer] = {}
        for customer in reversed(self.customers):  # the first customer wins a shared value
            for name, attribute in IDENTIFIER_ATTRIBUTES.items():
                index[(name, str(getattr(customer, attribute)))] = customer
        return index


def _ruleset(
    rng: random.Random, promotion_id: int, start: datetime, end: datetime
) -> dict[str, Any]:
    ruleset_id = 126_000_000 + promotion_id
    rules = []
    for index in range(rng.randint(1, 3)):
        rule_id = ruleset_id * 10 + index
        rules.append(
            {
                "id": rule_id,
                "exp": "true" if index == 0 else f"currentTxn.value > {100 * (index + 1)}",
                "expJSON": '{ "arity": "literal", "value": "true", "type": "boolean:primitive" }',
                "jsonType": "JNODE",
                "isActive": True,
                "priority": -1 if index == 0 else index,
                "startDate": int(start.timestamp() * 1000),
                "endDate": 33585195460018,
                "createdOn": 1712753899436,
                "caseToActions": {
                    "true": [
                        {
                            "id": rule_id * 10 + n,
                            "actionName": name,
                            "actionClass": "com.capillary.shopbook.pointsengine.endpoint.impl."
                            f"action.{name.title().replace('_', '')}Impl",
                            "mandatoryPropertiesValues": props,
                            "mandatoryComplexPropertiesValues": {},
                            "description": desc,
                        }
                        for n, (name, props, desc) in enumerate(
                            [
                                (
                                    "PE_ISSUE_VOUCHER_ACTION",
                                    {"VoucherSeriesId": str(349357 + promotion_id % 97)},
                                    f"{10 + promotion_id % 20}% off",
                                ),
                                (
                                    "PE_AWARD_POINTS_ACTION",
                                    {"points": str(100 + index * 50), "strategy": "FIXED"},
                                    "bonus points",
                                ),
                            ][: rng.randint(1, 2)]
                        )
                    ]
                },
                "ruleScope": "SERVER",
                "createdBy": 5036393,
                "modifiedBy": 5036393,
                "modifiedOn": 1712753950845,
                "name": f"Rule {index + 1}",
                "description": "",
                "expDataType": None,
                "filterInfo": [],
                "ruleSetId": ruleset_id,
                "updatedViaNewUI": False,
            }
        )
    return {
        "id": ruleset_id,
        "orgName": "Sandbox Retail",
        "contextID": 469,
        "orgID": 100458,
        "contextType": "program",
        "rules": rules,
        "ruleScope": "SERVER",
        "startDate": int(start.timestamp() * 1000),
        "endDate": int(end.timestamp() * 1000),
        "createdOn": 1712753899436,
        "createdBy": 5036393,
        "modifiedBy": 5036393,
        "modifiedOn": 1712753950845,
        "name": f"ruleset_{promotion_id}",
        "packageName": "",
        "description": "",
        "filterInfo": [
            {
                "id": ruleset_id + 1,
                "orgID": 100458,
                "ruleID": -1,
                "name": "LoyaltyType",
                "className": "com.capillary.shopbook.emf.impl.filter.LoyaltyTypeFilterImpl",
                "isInclude": True,
                "propertyToValues": {"loyaltyType": ["loyalty"]},
            }
        ],
        "eventType": None,
        "cappingInfo": [],
        "updatedViaNewUI": False,
        "private": False,
    }


def _restrictions(rng: random.Random, kind: str) -> dict[str, list[dict[str, Any]]]:
    period_based = rng.random() < 0.3
    redemption: dict[str, Any] = {
        "name": "MAX_REDEMPTIONS_PER_EARN_PER_CUSTOMER",
        "value": rng.choice([1, 2, 10, 100, -1]),
        "type": "PERIOD_BASED" if period_based else "NON_PERIOD_BASED",
        "periodType": "MOVING_WINDOW" if period_based else None,
        "periodUnit": rng.choice(["DAILY", "WEEKLY", "MONTHLY"]) if period_based else None,
    }
    restrictions: dict[str, list[dict[str, Any]]] = {
        "redemptionRestrictions": [redemption],
        "issualRestrictions": [],
        "earnRestrictions": [],
        "expiryRestrictions": [],
    }
    if kind != "GENERIC":
        restrictions["issualRestrictions"] = [
            {"name": "MAX_NUMBER_OF_ISSUALS_PER_CUSTOMER", "value": rng.choice([1, 10, 100])}
        ]
        restrictions["earnRestrictions"] = [
            {"name": "MAX_NUMBER_OF_EARNS_PER_CUSTOMER", "value": rng.choice([1, 5, 10])},
            {"name": "MAX_POINTS_PER_EARN_PER_CUSTOMER", "value": -1},
        ]
        custom = rng.random() < 0.5
        restrictions["expiryRestrictions"] = [
            {
                "name": "EARN_PROMOTION_EXPIRY_BASED_ON",
                "value": 365 if custom else 0,
                "type": "CUSTOM" if custom else "PROMOTION",
            }
        ]
    return restrictions


def _status(start: datetime, end: datetime, today: datetime, active: bool) -> str:
    if not active:
        return "INACTIVE"
    if start > today:
        return "UPCOMING"
    if end < today:
        return "COMPLETED"
    return "LIVE"


def _generated(rng: random.Random, promotion_id: int, today: datetime) -> Promotion:
    kind = TYPES[promotion_id % 3]
    program_id = int(list(PROGRAMS)[promotion_id % len(PROGRAMS)])
    start = today + timedelta(
        days=rng.randint(-400, 40), hours=rng.choice([0, 18]), minutes=rng.choice([0, 30])
    )
    end = start + timedelta(days=rng.randint(10, 700), hours=23, minutes=59, seconds=59)
    active = rng.random() > 0.08
    status = "PENDING" if promotion_id % 53 == 0 else _status(start, end, today, active)
    return Promotion(
        id=promotion_id,
        program_id=program_id,
        name=f"{['Spend & Earn', 'Welcome Bonus', 'Double Points', 'Weekend Voucher', 'Birthday Treat'][promotion_id % 5]} #{promotion_id}",
        description=f"Generated promotion {promotion_id}" if promotion_id % 7 else "",
        type=kind,
        status=status,
        start=start,
        end=end,
        date_form=DATE_FORMS[promotion_id % len(DATE_FORMS)],
        is_active=active,
        event_name=EVENTS[promotion_id % len(EVENTS)],
        identifier=f"{promotion_id:08x}-{rng.randrange(16**4):04x}-4{rng.randrange(16**3):03x}-a{rng.randrange(16**3):03x}-{rng.randrange(16**12):012x}",
        level="BILL" if promotion_id % 2 else "CUSTOMER",
        source_type=("UI", "API", "CAMPAIGN")[promotion_id % 3],
        last_update=today - timedelta(days=rng.randint(1, 90), seconds=rng.randint(0, 86_000)),
        limits={
            "pointsPerCustomer": rng.choice([0, -1, 500]),
            "numberOfTimesPerCustomer": rng.choice([0, -1, 3]),
            "totalPointsInPromotion": rng.choice([0, 100_000]),
            "totalPointsPerEventLimit": rng.choice([0, 150]),
        },
        restrictions=_restrictions(rng, kind),
        settings={
            "scope": None,
            "loyaltyEarningType": "ISSUE_AND_EARN" if kind == "LOYALTY_EARNING" else None,
            "expiryReminder": None,
            "targetGroupIds": [7001, 7002] if promotion_id % 11 == 0 else None,
            "targetRuleIds": None,
            "linkedTargetGroupVsTargetRuleIdMap": None,
            "cappingStatus": None if promotion_id % 4 else bool(promotion_id % 8),
            "skipEarnedDateCheckOnRedeem": False,
            "isStackable": promotion_id % 3 == 0,
            "isConsideredForRanking": False,
            "isExclusive": promotion_id % 5 == 0,
            "isAlwaysApply": False,
        },
        rulesets=[_ruleset(rng, promotion_id, start, end)],
        metadata=[{"key": "preferred language", "value": "en", "brandDefined": True}]
        if promotion_id % 6 == 0
        else [],
    )


def _vendor_examples() -> list[Promotion]:
    """The promotions the vendor pages show, with their own values."""
    d = datetime.fromisoformat
    examples = []
    by_id_restrictions = {
        "redemptionRestrictions": [
            {
                "name": "MAX_REDEMPTIONS_PER_EARN_PER_CUSTOMER",
                "value": 10,
                "type": "NON_PERIOD_BASED",
                "periodType": "MOVING_WINDOW",
                "periodUnit": "DAILY",
            }
        ],
        "issualRestrictions": [{"name": "MAX_NUMBER_OF_ISSUALS_PER_CUSTOMER", "value": 10}],
        "earnRestrictions": [
            {"name": "MAX_NUMBER_OF_EARNS_PER_CUSTOMER", "value": 10},
            {"name": "MAX_POINTS_PER_EARN_PER_CUSTOMER", "value": -1},
        ],
        "expiryRestrictions": [
            {"name": "EARN_PROMOTION_EXPIRY_BASED_ON", "value": 0, "type": "PROMOTION"},
            {"name": "ISSUAL_PROMOTION_EXPIRY_BASED_ON", "value": 0, "type": "PROMOTION"},
        ],
    }
    settings = {
        "scope": None,
        "isStackable": False,
        "isConsideredForRanking": False,
        "loyaltyEarningType": "ISSUE_AND_EARN",
        "expiryReminder": None,
        "isExclusive": False,
        "isAlwaysApply": False,
    }
    rng = random.Random(57099)
    example = Promotion(
        id=57099,
        program_id=469,
        name="test enroll and issue",
        description="Promotion Description",
        type="LOYALTY_EARNING",
        status="LIVE",
        start=d("2024-04-10T00:00:00+00:00"),
        end=d("2024-05-31T23:59:59+00:00"),
        date_form="minutes",
        is_active=True,
        event_name="TRANSACTIONADD",
        identifier="10c2fc95-acd4-476b-9784-9ccb7a410874",
        level="BILL",
        source_type="UI",
        last_update=d("2024-04-10T12:59:11+00:00"),
        limits={
            "pointsPerCustomer": 0,
            "numberOfTimesPerCustomer": 0,
            "totalPointsInPromotion": 0,
            "totalPointsPerEventLimit": 0,
        },
        restrictions=by_id_restrictions,
        settings=settings,
        rulesets=[
            _ruleset(rng, 57099, d("2024-04-10T00:00:00+00:00"), d("2024-05-31T23:59:59+00:00"))
        ],
        extra={"allocatePointsOn": "BILL", "useProportions": False},
    )
    examples.append(example)
    listed = [
        (
            106985,
            973,
            "Premium Partner Program - Transaction Benefits",
            "GENERIC",
            "INACTIVE",
            "BILL",
            False,
        ),
        (
            106984,
            973,
            "Premium Partner Program - Enrollment Benefits",
            "LOYALTY_EARNING",
            "INACTIVE",
            "CUSTOMER",
            False,
        ),
        (104202, 973, "AllRewards", "GENERIC", "LIVE", "BILL", True),
        (103848, 973, "test_promo11", "GENERIC", "LIVE", "CUSTOMER", True),
        (100508, 983, "doc_test27", "LOYALTY", "LIVE", "CUSTOMER", True),
        (99350, 973, "Test Direct promo", "LOYALTY", "COMPLETED", "CUSTOMER", True),
        (99269, 973, "Test promo", "LOYALTY_EARNING", "COMPLETED", "BILL", True),
    ]
    for promotion_id, program_id, name, kind, status, level, active in listed:
        rng = random.Random(promotion_id)
        start, end = d("2024-12-31T18:30:00+00:00"), d("2025-12-31T18:29:59+00:00")
        examples.append(
            Promotion(
                id=promotion_id,
                program_id=program_id,
                name=name,
                description=name,
                type=kind,
                status=status,
                start=start,
                end=end,
                date_form="minutes",
                is_active=active,
                event_name="TRANSACTIONADD",
                identifier=f"{promotion_id}-example",
                level=level,
                source_type="UI",
                last_update=d("2025-09-23T03:51:19+00:00"),
                limits={
                    "pointsPerCustomer": 0,
                    "numberOfTimesPerCustomer": 0,
                    "totalPointsInPromotion": 0,
                    "totalPointsPerEventLimit": 0,
                },
                restrictions=_restrictions(rng, kind),
                settings={
                    **settings,
                    "targetGroupIds": None,
                    "cappingStatus": None,
                    "skipEarnedDateCheckOnRedeem": False,
                },
                rulesets=[_ruleset(rng, promotion_id, start, end)],
                extra={"startRuleIdentifier": f"ruleset_{promotion_id}"},
            )
        )
    customer_view = [
        (
            67248,
            469,
            "100 Points for 3+ Transactions5",
            "2024-10-31T18:30:00+00:00",
            "2025-01-31T18:30:00+00:00",
            "billslayer5",
        ),
        (
            67247,
            469,
            "duplicate_test_5",
            "2023-12-30T18:30:00+00:00",
            "2024-12-30T18:30:00+00:00",
            "e823c904-34bf-4b8a-8124-16085183177f",
        ),
        (
            79877,
            973,
            "Promotion Points",
            "2025-01-01T00:00:00+00:00",
            "2025-02-13T23:59:59+00:00",
            "4b0478e1-d2fd-4ffc-9032-a45547b64665",
        ),
        (
            79555,
            973,
            "2X Points",
            "2025-01-20T00:00:00+00:00",
            "2025-02-28T23:59:59+00:00",
            "33c82f8f-f6b3-4264-9b72-3ecb969a03bf",
        ),
        (
            1119990,
            1085,
            "Enrol & issue | LOYALTY EARNING PROMO",
            "2024-05-01T00:00:00+00:00",
            "2024-06-30T23:59:59+00:00",
            "7ff82c46-dd7e-45d7-b09a-eb58aed3d714",
        ),
        (
            1119509,
            1085,
            "Direct issue | LOYALTY PROMO",
            "2024-05-01T00:00:00+00:00",
            "2024-07-31T23:59:59+00:00",
            "d1a3a7ec-b4c6-46f2-ba1f-adbe2e01e31d",
        ),
        (
            1115386,
            1085,
            "17 POINTS LYT PROMO ",
            "2023-11-06T00:00:00+00:00",
            "2023-12-31T23:59:59+00:00",
            "ddafcfc2-781c-43d6-92e3-5263760aeb76",
        ),
    ]
    for promotion_id, program_id, name, start_text, end_text, identifier in customer_view:
        rng = random.Random(promotion_id)
        kind = (
            "LOYALTY_EARNING"
            if promotion_id == 1119990
            else "LOYALTY"
            if promotion_id == 1119509
            else "GENERIC"
        )
        start, end = d(start_text), d(end_text)
        examples.append(
            Promotion(
                id=promotion_id,
                program_id=program_id,
                name=name,
                description=name,
                type=kind,
                status="COMPLETED",
                start=start,
                end=end,
                date_form="millis",
                is_active=True,
                event_name="TransactionAdd",
                identifier=identifier,
                level="BILL",
                source_type="API",
                last_update=start,
                limits={
                    "pointsPerCustomer": -1,
                    "numberOfTimesPerCustomer": -1,
                    "totalPointsInPromotion": 0,
                    "totalPointsPerEventLimit": 100,
                },
                restrictions=_restrictions(rng, kind),
                settings=settings,
                rulesets=[_ruleset(rng, promotion_id, start, end)],
                metadata=[
                    {"key": "preferred language", "value": "en", "brandDefined": True},
                    {"key": "testt", "value": "vall", "brandDefined": True},
                ]
                if promotion_id == 67247
                else [],
            )
        )
    return examples


def _timelines(rng: random.Random, customer_id: int, promotion: Promotion) -> list[dict[str, Any]]:
    if promotion.type == "GENERIC" or rng.random() < 0.3:
        return []
    enrolled = promotion.start + timedelta(days=rng.randint(0, 5), hours=12, minutes=44, seconds=13)
    base = customer_id % 100_000 * 1000 + promotion.id % 1000
    issuals = [
        {
            "issualId": base * 10 + n,
            "issualDate": (enrolled + timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "issualExpiryDate": promotion.end.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "issualEventLogId": 12_413_647 + n,
            "redeemedCount": rng.randint(0, 2),
        }
        for n in range(rng.randint(0, 2))
    ]
    return [
        {
            "enrollmentDate": enrolled.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "enrollmentExpiryDate": promotion.end.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "enrollmentId": base,
            "enrollEventLogId": 12_413_589 + promotion.id % 1000,
            "issuedDetails": issuals,
        }
    ]


def _enrolment(rng: random.Random, customer_id: int, promotion: Promotion) -> Enrolment:
    points = rng.choice(["0", "0", "10.000", "4990.000"])
    times = 0 if points == "0" else rng.randint(1, 4)
    return Enrolment(
        promotion_id=promotion.id,
        usage={
            "currentPointsPerCustomer": points,
            "currentNumberOfTimesPerCustomer": times,
            "currentTotalPointsInPromotion": "0",
        },
        timelines=_timelines(rng, customer_id, promotion),
        restriction_usage=str(times),
    )


BENCH_PROMOTIONS_PER_CUSTOMER = 50


def bench_mobile(n: int) -> str:
    """The mobile number of the n-th benchmark customer."""
    return f"917{n:09d}"


def build(today: datetime | None = None, seed: int = 20241122, bench_customers: int = 0) -> Dataset:
    """The sandbox's records; `bench_customers` adds that many customers holding
    50 promotions each (mobile `bench_mobile(n)`), after the usual ones."""
    day = (today or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    promotions = {p.id: p for p in _vendor_examples()}
    for promotion_id in range(200_001, 200_241):
        promotions[promotion_id] = _generated(rng, promotion_id, day)
    ordered = sorted(promotions.values(), key=lambda p: p.id)
    generated = [p for p in ordered if p.id >= 200_001]

    customers = []
    # The vendor pages' customers, then generated ones; the first holds 100 promotions.
    named = [
        (555380204, "919456430850", "000003873354", generated[:100]),
        (
            564332013,
            "919000000013",
            "000000564332",
            [promotions[79877], promotions[79555], generated[100]],
        ),
        (
            345854019,
            "919000000019",
            "000000345854",
            [promotions[1119990], promotions[1119509], promotions[1115386]],
        ),
        (345853998, "919000000098", "000000345853", [promotions[1119990]]),
    ]
    for customer_id, mobile, external_id, held in named:
        customers.append(_customer(rng, customer_id, mobile, external_id, held))
    for n in range(96):
        customer_id = 600_000_000 + n
        held = rng.sample(generated, rng.randint(0, 25))
        held.sort(key=lambda p: -p.id)
        customers.append(
            _customer(rng, customer_id, f"91800000{n:04d}", f"{customer_id:012d}", held)
        )
    bench_rng = random.Random(seed + 1)
    for n in range(bench_customers):
        customer_id = 700_000_000 + n
        held = bench_rng.sample(generated, BENCH_PROMOTIONS_PER_CUSTOMER)
        customers.append(
            _customer(bench_rng, customer_id, bench_mobile(n), f"{customer_id:012d}", held)
        )
    return Dataset(promotions=promotions, customers=customers)


def _customer(
    rng: random.Random, customer_id: int, mobile: str, external_id: str, held: list[Promotion]
) -> Customer:
    return Customer(
        id=customer_id,
        mobile=mobile,
        email=f"customer{customer_id}@example.com",
        external_id=external_id,
        cuid=f"cuid-{customer_id}",
        enrolments=[_enrolment(rng, customer_id, p) for p in held],
    )
