"""`promotions-gateway` with no configuration: sandbox embedded, example query answered."""

from collections.abc import Iterator

import httpx
import pytest

from bench.processes import free_port
from tests.conftest import gateway_process
from tests.queries import BIG_CUSTOMER, WALLET

pytestmark = pytest.mark.integration


@pytest.fixture
def served() -> Iterator[str]:
    with gateway_process(SANDBOX_PORT=str(free_port())) as (process, url):
        yield url
        process.terminate()
        assert process.wait(timeout=15) == 0


def test_the_example_query_works_with_no_configuration(served: str) -> None:
    response = httpx.post(
        f"{served}/graphql",
        json={
            "query": WALLET,
            "variables": {"mobile": BIG_CUSTOMER, "status": "AVAILABLE_TO_REDEEM"},
        },
        timeout=30,
    )
    body = response.json()
    assert "errors" not in body
    assert body["data"]["customer"]["promotions"]["nodes"]
    page = httpx.get(f"{served}/graphql", headers={"Accept": "text/html"})
    assert "graphiql" in page.text.lower()
