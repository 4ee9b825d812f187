"""Walking both connections returns exactly the upstream order: nothing skipped or repeated."""

from typing import Any

import httpx
import pytest

from sandbox import DEMO_AUTHORIZATION
from tests.conftest import GatewayClient, SandboxAdmin
from tests.queries import BIG_CUSTOMER

pytestmark = pytest.mark.integration

LIST = "query($after: String) { promotions(first: 37, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }"
CUSTOMER = """query($m: String!, $after: String) { customer(identifierType: MOBILE, identifierValue: $m) {
  promotions(first: 37, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { promotionId } } } }"""


def upstream_list_order(url: str) -> list[str]:
    ids: list[str] = []
    for page in range(10):
        body = httpx.get(
            f"{url}/api_gateway/loyalty/v1/programs/promotions/list",
            params={"limit": 100, "offset": page},
            headers={"Authorization": DEMO_AUTHORIZATION},
        ).json()
        ids += [str(p["id"]) for p in body["data"]]
    return ids


async def walk(gateway: GatewayClient, query: str, path: list[str], **variables: Any) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(20):
        body = await gateway.query(query, {**variables, "after": after})
        connection = body["data"]
        for key in path:
            connection = connection[key]
        items = connection.get("edges") or connection["nodes"]
        seen += [item["node"]["id"] if "node" in item else item["promotionId"] for item in items]
        if not connection["pageInfo"]["hasNextPage"]:
            return seen
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("the walk did not end")


async def test_walking_the_promotions_list(gateway: GatewayClient, sandbox: SandboxAdmin) -> None:
    expected = upstream_list_order(sandbox.url)
    sandbox.reset()
    assert await walk(gateway, LIST, ["promotions"]) == expected
    # 37-wide windows over 100-wide upstream pages: each page fetched once, then cached.
    assert sandbox.stats()["calls"]["promotion_list"] == -(-len(expected) // 100)


async def test_walking_a_customers_promotions(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    expected = [str(p) for p in range(200_001, 200_101)]
    seen = await walk(gateway, CUSTOMER, ["customer", "promotions"], m=BIG_CUSTOMER)
    assert seen == expected
    offsets = [r["params"]["offset"] for r in sandbox.stats()["requests"]]
    assert offsets == ["0", "37", "74"]


async def test_edges_carry_cursors_that_continue_the_walk(gateway: GatewayClient) -> None:
    body = await gateway.query(LIST, {"after": None})
    edges = body["data"]["promotions"]["edges"]
    after_third = await gateway.query(LIST, {"after": edges[2]["cursor"]})
    assert after_third["data"]["promotions"]["edges"][0]["node"] == edges[3]["node"]
