"""The gateway over real HTTP to the sandbox upstream: calls, concurrency, errors."""

import asyncio
from typing import Any

import pytest

from gateway.settings import Settings
from sandbox import BRAND_B_AUTHORIZATION, DEMO_AUTHORIZATION
from tests.conftest import GatewayClient, SandboxAdmin, gateway_for, settings_for
from tests.queries import BIG_CUSTOMER, WALLET

pytestmark = pytest.mark.integration


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_the_example_query_costs_one_customer_call_and_one_call_per_promotion(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    sandbox.faults(latency_ms=10)  # long enough for overlapping calls to show
    body = await gateway.query(WALLET, {"mobile": BIG_CUSTOMER, "first": 100})
    assert "errors" not in body
    nodes = body["data"]["customer"]["promotions"]["nodes"]
    assert len(nodes) == 100
    assert all(node["promotion"]["rulesets"] for node in nodes)
    stats = sandbox.stats()
    assert stats["calls"] == {"customer_promotions": 1, "promotion": 100}
    assert set(stats["callsByPromotion"].values()) == {1}
    # The by-id calls of one query run concurrently, not one by one.
    assert stats["maxInFlight"]["promotion"] > 1


async def test_the_same_query_again_makes_no_by_id_calls(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    first = await gateway.query(WALLET, {"mobile": BIG_CUSTOMER, "first": 100})
    second = await gateway.query(WALLET, {"mobile": BIG_CUSTOMER, "first": 100})
    assert first == second
    assert sandbox.stats()["calls"] == {"customer_promotions": 2, "promotion": 100}


async def test_another_credential_makes_its_own_calls_and_sees_its_own_data(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    demo = await gateway.query(WALLET, {"mobile": BIG_CUSTOMER, "first": 10})
    brand_b = await gateway.query(
        WALLET, {"mobile": BIG_CUSTOMER, "first": 10}, authorization=BRAND_B_AUTHORIZATION
    )
    assert sandbox.stats()["callsByTenant"] == {"demo": 11, "brand-b": 11}
    names = [n["name"] for n in brand_b["data"]["customer"]["promotions"]["nodes"]]
    assert all(name.startswith("[B] ") for name in names)
    assert demo != brand_b


async def test_kept_promotion_answers_never_cross_credentials(gateway: GatewayClient) -> None:
    query = """query ($mobile: String!) { customer(identifierType: MOBILE, identifierValue: $mobile) {
      promotions(first: 5) { nodes { promotion { id name rulesets { id } } } } } }"""

    async def names(authorization: str = DEMO_AUTHORIZATION) -> list[str]:
        body = await gateway.query(query, {"mobile": BIG_CUSTOMER}, authorization=authorization)
        return [n["promotion"]["name"] for n in body["data"]["customer"]["promotions"]["nodes"]]

    demo = await names()
    assert await names() == demo  # answered from the kept promotion answers, if any
    brand_b = await names(BRAND_B_AUTHORIZATION)
    assert brand_b == [f"[B] {name}" for name in demo]
    assert await names() == demo


async def test_concurrent_cold_queries_share_each_by_id_call(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    sandbox.faults(latency_ms=20)
    bodies = await asyncio.gather(
        *(gateway.query(WALLET, {"mobile": BIG_CUSTOMER, "first": 30}) for _ in range(20))
    )
    assert all("errors" not in body for body in bodies)
    stats = sandbox.stats()
    assert stats["calls"]["promotion"] == 30
    assert set(stats["callsByPromotion"].values()) == {1}


async def test_customer_and_its_promotions_cost_one_call(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    query = """query($m: String!) { customer(identifierType: MOBILE, identifierValue: $m) {
      id ...P } } fragment P on Customer { promotions(first: 5) { totalCount nodes { name } } }"""
    body = await gateway.query(query, {"m": BIG_CUSTOMER})
    assert body["data"]["customer"]["promotions"]["totalCount"] == 100
    assert sandbox.stats()["calls"] == {"customer_promotions": 1}


async def test_only_the_customer_costs_one_call(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    body = await gateway.query(
        '{ customer(identifierType: EXTERNAL_ID, identifierValue: "000003873354") { id } }'
    )
    assert body["data"]["customer"]["id"] == "555380204"
    assert sandbox.stats()["calls"] == {"customer_promotions": 1}


async def test_two_aliased_selections_cost_two_concurrent_calls(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    sandbox.faults(latency_ms=100)
    query = """query($m: String!) { customer(identifierType: MOBILE, identifierValue: $m) {
      id
      redeem: promotions(status: AVAILABLE_TO_REDEEM, first: 3) { totalCount }
      loyalty: promotions(type: LOYALTY, first: 2) { totalCount nodes { type } }
    } }"""
    body = await gateway.query(query, {"m": BIG_CUSTOMER})
    assert "errors" not in body
    assert {n["type"] for n in body["data"]["customer"]["loyalty"]["nodes"]} == {"LOYALTY"}
    stats = sandbox.stats()
    assert stats["calls"] == {"customer_promotions": 2}
    assert stats["maxInFlight"]["customer_promotions"] == 2


async def test_promotion_by_id_with_every_vendor_field(gateway: GatewayClient) -> None:
    body = await gateway.query(
        """{ promotion(programId: "469", id: "57099") { id name status type startDate endDate
        allocatePointsOn loyaltyEarningType limits { timesPerCustomer }
        restrictions { kind name limit expiryBasis type }
        rulesets { orgName contextType rules { createdOn ruleScope actions { actionClass case } } } } }"""
    )
    promotion = body["data"]["promotion"]
    assert promotion["startDate"] == "2024-04-10T00:00:00Z"
    assert promotion["endDate"] == "2024-05-31T23:59:59Z"
    assert promotion["status"] == "LIVE"
    assert promotion["restrictions"][-1]["expiryBasis"] == "PROMOTION"
    assert promotion["rulesets"][0]["rules"][0]["actions"][0]["case"] == "true"


async def test_a_listed_promotion_loads_its_rules_by_id(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    body = await gateway.query("{ promotions(first: 3) { nodes { id level rulesets { id } } } }")
    nodes = body["data"]["promotions"]["nodes"]
    assert all(node["rulesets"] for node in nodes)
    assert sandbox.stats()["calls"] == {"promotion_list": 1, "promotion": 3}


async def test_one_failed_promotion_never_fails_its_siblings(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    sandbox.faults(promotion={"200001": {"status": 503}})
    body = await gateway.query(WALLET, {"mobile": BIG_CUSTOMER, "first": 5})
    nodes = body["data"]["customer"]["promotions"]["nodes"]
    broken = [n for n in nodes if n["promotion"] is None]
    assert [n["promotionId"] for n in broken] == ["200001"]
    assert len(nodes) == 5
    assert codes(body) == ["UPSTREAM_UNAVAILABLE"]
    assert body["errors"][0]["path"][-1] == "promotion"


FIND_PROMOTION = '{ promotion(programId: "%s", id: "%s") { id } }'


@pytest.mark.parametrize(
    ("query", "code", "upstream_code"),
    [
        (FIND_PROMOTION % ("469", "1"), "PROMOTION_NOT_FOUND", 4029),
        (FIND_PROMOTION % ("1", "57099"), "PROGRAM_NOT_FOUND", 2010),
        (
            '{ customer(identifierType: MOBILE, identifierValue: "0") { id } }',
            "CUSTOMER_NOT_FOUND",
            8015,
        ),
        ("{ promotions(filter: {status: PENDING}) { totalCount } }", "BAD_USER_INPUT", 4052),
    ],
)
@pytest.mark.parametrize("errors_as_200", [False, True])
async def test_upstream_error_codes(
    gateway: GatewayClient,
    sandbox: SandboxAdmin,
    query: str,
    code: str,
    upstream_code: int,
    errors_as_200: bool,
) -> None:
    sandbox.faults(errors_as_200=errors_as_200)
    body = await gateway.query(query)
    assert codes(body) == [code]
    assert body["errors"][0]["extensions"]["upstreamCode"] == upstream_code
    assert body["data"] is None or next(iter(body["data"].values())) is None


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"status": 400, "code": 8003}, "BAD_USER_INPUT"),
        ({"status": 400, "code": 8013}, "BAD_USER_INPUT"),
        ({"status": 403}, "FORBIDDEN"),
        ({"status": 429, "retry_after": "30"}, "RATE_LIMITED"),
        ({"status": 503}, "UPSTREAM_UNAVAILABLE"),
        ({"status": 502, "body": "html"}, "UPSTREAM_UNAVAILABLE"),
        ({"body": "html"}, "UPSTREAM_BAD_RESPONSE"),
        ({"body": "truncated"}, "UPSTREAM_BAD_RESPONSE"),
        ({"body": "errors200"}, "UPSTREAM_BAD_RESPONSE"),
        ({"body": "wrongtypes"}, "UPSTREAM_BAD_RESPONSE"),
        ({"body": "empty"}, "UPSTREAM_BAD_RESPONSE"),
    ],
)
async def test_injected_faults_get_their_codes(
    gateway: GatewayClient, sandbox: SandboxAdmin, fault: dict[str, Any], code: str
) -> None:
    sandbox.faults(endpoint={"customer_promotions": fault})
    body = await gateway.query(WALLET, {"mobile": BIG_CUSTOMER})
    assert body["data"] == {"customer": None}
    assert codes(body) == [code]
    message = body["errors"][0]["message"]
    assert "html" not in message
    assert "127.0.0.1" not in message
    assert "injected" not in message
    if code == "RATE_LIMITED":
        assert body["errors"][0]["extensions"]["retryAfter"] == 30


async def test_no_credential_anywhere_is_unauthenticated(gateway: GatewayClient) -> None:
    body = await gateway.query(FIND_PROMOTION % ("469", "57099"), authorization=None)
    assert codes(body) == ["UNAUTHENTICATED"]


@pytest.fixture
def slow_settings(sandbox: SandboxAdmin) -> Settings:
    return settings_for(sandbox.url, upstream_timeout_s=0.3)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"hang_s": 3}, id="hung"),
        # Every chunk arrives in time; only a deadline over the whole body cuts it.
        pytest.param({"drip_ms": 50}, id="slow-drip body"),
    ],
)
async def test_a_late_upstream_is_upstream_timeout(
    sandbox: SandboxAdmin, slow_settings: Settings, fault: dict[str, Any]
) -> None:
    sandbox.faults(promotion={"57099": fault})
    async with gateway_for(slow_settings) as gateway:
        body = await gateway.query(FIND_PROMOTION % ("469", "57099"))
    assert codes(body) == ["UPSTREAM_TIMEOUT"]


async def test_the_default_credential_is_used_when_the_client_sends_none(
    sandbox: SandboxAdmin,
) -> None:
    async with gateway_for(
        settings_for(sandbox.url, upstream_authorization=DEMO_AUTHORIZATION)
    ) as gateway:
        body = await gateway.query(FIND_PROMOTION % ("469", "57099"), authorization=None)
    assert body == {"data": {"promotion": {"id": "57099"}}}


@pytest.mark.parametrize(
    "query",
    [
        "{ promotions(first: 101) { totalCount } }",
        "{ promotions(first: -1) { totalCount } }",
        '{ promotions(after: "not-a-cursor") { totalCount } }',
        '{ promotions(filter: {startDate: "2024-01-01T00:00:00Z"}) { totalCount } }',
        '{ promotion(programId: "469", id: "../../x") { id } }',
        '{ customer(identifierType: MOBILE, identifierValue: "919456430850") { promotions(first: 500) { totalCount } } }',
    ],
)
async def test_bad_input_is_refused_before_the_field_calls_upstream(
    gateway: GatewayClient, sandbox: SandboxAdmin, query: str
) -> None:
    body = await gateway.query(query)
    assert codes(body) == ["BAD_USER_INPUT"]
    calls = sandbox.stats()["calls"]
    # Only the customer itself is looked up; the bad `promotions` field costs nothing more.
    assert calls == ({"customer_promotions": 1} if "customer" in query else {})


async def test_a_bad_datetime_variable_is_bad_user_input(gateway: GatewayClient) -> None:
    body = await gateway.query(
        "query($d: DateTime) { promotions(filter: {startDate: $d, endDate: $d}) { totalCount } }",
        {"d": "yesterday"},
    )
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_syntax_and_validation_errors_have_codes(gateway: GatewayClient) -> None:
    assert codes(await gateway.query("{ promotions(")) == ["GRAPHQL_PARSE_FAILED"]
    assert codes(await gateway.query("{ nope }")) == ["GRAPHQL_VALIDATION_FAILED"]


WALLET_IDS = """
query WalletIds($mobile: String!) {
  customer(identifierType: MOBILE, identifierValue: $mobile) {
    id
    promotions(first: 20) { nodes { id promotionId programId } }
  }
}
"""


async def test_a_customer_promotion_s_id_is_stable_and_apart_from_other_customers(
    gateway: GatewayClient,
) -> None:
    async def ids(mobile: str) -> dict[str, str]:
        body = await gateway.query(WALLET_IDS, {"mobile": mobile})
        assert "errors" not in body, body
        nodes = body["data"]["customer"]["promotions"]["nodes"]
        return {node["promotionId"]: node["id"] for node in nodes}

    first, again = await ids("919000000019"), await ids("919000000019")
    other = await ids("919000000098")
    assert first == again  # stable: the same promotion of the same customer, the same id
    assert len(set(first.values())) == len(first)
    shared = set(first) & set(other)
    assert shared == {"1119990"}
    # Another customer's copy of the same promotion has usage of its own: another id.
    assert first["1119990"] != other["1119990"]
