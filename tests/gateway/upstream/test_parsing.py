import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import PromotionNotFound, UpstreamBadResponse
from gateway.upstream import _parsing as parsing
from gateway.upstream import records

FIXTURES = Path(__file__).parents[2] / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_the_by_id_example_parses_with_its_rules() -> None:
    promotion = parsing.parse_promotion(fixture("promotion_by_id.json"), "469")
    assert promotion.id == "57099"
    assert promotion.program_id == "469"
    assert promotion.status is records.PromotionStatus.LIVE
    assert promotion.type is records.PromotionType.LOYALTY_EARNING
    assert promotion.start_date == datetime(2024, 4, 10, tzinfo=UTC)
    assert promotion.allocate_points_on == "BILL"
    assert promotion.loyalty_earning_type == "ISSUE_AND_EARN"
    assert promotion.is_stackable is False
    assert [r.kind for r in promotion.restrictions] == [
        records.RestrictionKind.ISSUAL,
        records.RestrictionKind.EARN,
        records.RestrictionKind.EARN,
        records.RestrictionKind.REDEMPTION,
        records.RestrictionKind.EXPIRY,
        records.RestrictionKind.EXPIRY,
    ]
    unlimited = promotion.restrictions[2]
    assert unlimited.name == "MAX_POINTS_PER_EARN_PER_CUSTOMER"
    assert unlimited.limit is None
    # NON_PERIOD_BASED: the period fields it carries anyway are not a period.
    assert promotion.restrictions[3].period is None
    assert promotion.restrictions[4].expiry_basis is records.ExpiryBasis.PROMOTION
    assert promotion.rulesets is not None
    ruleset = promotion.rulesets[0]
    assert ruleset.org_name == "Bukl Enterprises"
    assert ruleset.context_type == "program"
    assert [f.name for f in ruleset.filters] == ["LoyaltyType", "EventSource"]
    rule = ruleset.rules[0]
    assert rule.start_date == datetime(2004, 4, 10, 12, 57, 40, 18000, tzinfo=UTC)
    assert rule.end_date is not None
    assert rule.end_date.year == 3034
    assert rule.actions[0].case == "true"
    assert rule.actions[0].properties == {"VoucherSeriesId": "349357"}
    assert rule.actions[0].action_class is not None


def test_the_list_example_parses_with_its_page_details() -> None:
    page = parsing.parse_promotion_page(fixture("list_promotions.json"))
    assert page.total_count == 21
    assert page.page_count == 3
    first = page.promotions[0]
    assert first.id == "106985"
    assert first.rulesets is None
    assert first.level is records.PromotionLevel.BILL
    assert first.start_rule_identifier == "ruleset_f8101376-26e9-4c24-aab8-d8ef454de4c8"
    assert first.is_exclusive is True
    assert first.skip_earned_date_check_on_redeem is False
    assert first.start_date == datetime(2024, 12, 31, 18, 30, tzinfo=UTC)
    assert first.limits is None
    assert any(p.event_sub_type_name == "TestEvent1" for p in page.promotions)


def test_every_customer_example_parses() -> None:
    bodies = [b for b in fixture("customer_promotion_data.json") if "customerId" in b]
    assert len(bodies) == 6
    pages = [parsing.parse_customer_page(body) for body in bodies]
    first = pages[0].promotions[0]
    assert pages[0].customer_id == "555380204"
    assert pages[0].total_count == 169
    assert first.limits == records.Limits(100.0, 100.0, 1, 0.0)
    assert first.usage == records.CustomerUsage(0.0, 0, 0.0)
    assert first.restrictions[0].used == 0.0
    assert first.restrictions[1].used is None  # no currentCustomerUsage on that one
    second = pages[0].promotions[1]
    assert [m.key for m in second.metadata] == ["preferred language", "testt"]
    period = second.restrictions[1].period
    assert period == records.RestrictionPeriod("MOVING_WINDOW", records.PeriodUnit.MONTHLY)
    points = next(p for page in pages for p in page.promotions if p.promotion_id == "79555")
    assert points.usage is not None
    assert points.usage.points == 4990.0
    assert points.limits is not None
    assert points.limits.points_per_customer == -1
    assert points.restrictions[0].limit is None  # "-1"
    timeline = next(p for page in pages for p in page.promotions if p.timelines).timelines[0]
    assert timeline.enrolled_at == datetime(2024, 6, 25, 12, 41, 55, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-10T00:00Z", datetime(2024, 4, 10, tzinfo=UTC)),
        ("2024-10-31T18:30:00.000Z", datetime(2024, 10, 31, 18, 30, tzinfo=UTC)),
        ("2025-12-31T18:29:59Z", datetime(2025, 12, 31, 18, 29, 59, tzinfo=UTC)),
        ("2024-04-10T05:30:00+05:30", datetime(2024, 4, 10, tzinfo=UTC)),
        ("2024-04-10T10:00:00", datetime(2024, 4, 10, 10, tzinfo=UTC)),
        ("2024-04-10", datetime(2024, 4, 10, tzinfo=UTC)),
        (1712707200000, datetime(2024, 4, 10, tzinfo=UTC)),
        ("1712707200000", datetime(2024, 4, 10, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_every_date_form_is_read(text: object, expected: datetime | None) -> None:
    assert parsing.parse_moment(text) == expected


def _promotion(**changes: object) -> dict[str, object]:
    body = fixture("promotion_by_id.json")
    body["data"][0].update(changes)
    return body  # type: ignore[no-any-return]


def test_numbers_as_strings_and_booleans_as_strings_are_read() -> None:
    promotion = parsing.parse_promotion(
        _promotion(id="57099", isActive="true", limits={"numberOFTimesPerCustomer": "3"}), "469"
    )
    assert promotion.id == "57099"
    assert promotion.active is True
    assert promotion.limits is not None
    assert promotion.limits.times_per_customer == 3


def test_missing_keys_become_null() -> None:
    body = {"data": [{"id": 1}]}
    promotion = parsing.parse_promotion(body, "469")
    assert promotion.name == ""
    assert promotion.program_id == "469"
    assert promotion.status is None
    assert promotion.restrictions == ()
    assert promotion.rulesets is None


def test_data_as_an_object_is_read() -> None:
    body = fixture("promotion_by_id.json")
    body["data"] = body["data"][0]
    assert parsing.parse_promotion(body, "469").id == "57099"


def test_an_empty_data_array_is_not_found() -> None:
    with pytest.raises(PromotionNotFound):
        parsing.parse_promotion({"data": []}, "469")


def test_settings_at_the_top_level_are_read() -> None:
    promotion = parsing.parse_promotion(_promotion(isStackable=True), "469")
    assert promotion.is_stackable is True


def test_an_unknown_enum_value_becomes_null_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="gateway.upstream.parsing")
    for _ in range(3):
        promotion = parsing.parse_promotion(_promotion(promotionStatus="ARCHIVED_NEW"), "469")
        assert promotion.status is None
    assert sum("ARCHIVED_NEW" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": None}, "response.data[0].id"),
        ({"id": {"x": 1}}, "response.data[0].id"),
        ({"limits": "none"}, "response.data[0].limits"),
        ({"startDate": "next tuesday"}, "response.data[0].startDate"),
        ({"rulesetInfos": "x"}, "response.data[0].rulesetInfos"),
        ({"lastUpdatedBy": True}, "response.data[0].lastUpdatedBy"),
        # An integer too large for a float, and one too large for a timestamp.
        ({"limits": {"pointsPerCustomer": 10**400}}, "response.data[0].limits.pointsPerCustomer"),
        ({"startDate": 10**30}, "response.data[0].startDate"),
    ],
)
def test_a_contract_violation_names_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(UpstreamBadResponse) as raised:
        parsing.parse_promotion(_promotion(**change), "469")
    assert raised.value.details["field"] == field
    assert field in raised.value.message


def test_a_customer_body_without_a_customer_is_a_violation() -> None:
    with pytest.raises(UpstreamBadResponse):
        parsing.parse_customer_page({"promotions": []})


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"errors": [{"status": False, "code": 8015, "message": "Customer not found"}]}, 8015),
        ({"status": {"code": 4029, "message": "Promotion ID is invalid"}, "data": None}, 4029),
        ({"status": {"code": 200}, "validationErrors": [{"code": "4055"}]}, 4055),
        ({"code": 2010, "message": "Program ID is invalid"}, 2010),
    ],
)
def test_body_errors_are_found_in_every_envelope(body: dict[str, object], code: int) -> None:
    found = parsing.body_error(body)
    assert found is not None
    assert found.code == code


def test_a_success_envelope_is_not_an_error() -> None:
    assert parsing.body_error(fixture("promotion_by_id.json")) is None
    assert parsing.body_error(fixture("list_promotions.json")) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"programId": None, "startDate": "x"}, "response.promotions[0].programId"),
        # A restriction's type is read first: whether it has a period hangs on it.
        (
            {"promotionRestriction": {"redemptionRestrictions": [{"kpi": {}, "type": {}}]}},
            "response.promotions[0].promotionRestriction.redemptionRestrictions[0].type",
        ),
        # An expiry restriction's type is its basis, read last.
        (
            {"promotionRestriction": {"expiryRestrictions": [{"kpi": {}, "type": {}}]}},
            "response.promotions[0].promotionRestriction.expiryRestrictions[0].kpi",
        ),
        (
            {"customerPromotionTimelines": [{"issuedDetails": [{"issualDate": "x"}]}]},
            "response.promotions[0].customerPromotionTimelines[0].enrollmentId",
        ),
        (
            {"limits": {"pointsPerCustomer": [], "numberOFTimesPerCustomer": "x"}},
            "response.promotions[0].limits.pointsPerCustomer",
        ),
    ],
)
def test_a_customer_view_violation_names_the_first_field_read(
    change: dict[str, object], field: str
) -> None:
    body = {"customerId": 1, "promotions": [{"promotionId": 1, "programId": 2, **change}]}
    with pytest.raises(UpstreamBadResponse) as raised:
        parsing.parse_customer_page(body, usual_first=False)
    assert raised.value.details["field"] == field
    assert field in raised.value.message
