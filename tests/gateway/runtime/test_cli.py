"""`promotions-gateway` with no configuration: sandbox embedded, example query answered."""

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from bench.processes import free_port
from sandbox import DEMO_AUTHORIZATION
from tests.conftest import SandboxAdmin, gateway_process
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


def test_production_refuses_to_start_on_the_sandbox() -> None:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("UPSTREAM_")}
    sandbox_port = free_port()
    finished = subprocess.run(
        [sys.executable, "-m", "gateway"],
        env={
            **inherited,
            "GATEWAY_ENV": "production",
            "PORT": str(free_port()),
            "SANDBOX_PORT": str(sandbox_port),
        },
        capture_output=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert b"UPSTREAM_URL" in finished.stderr
    with pytest.raises(httpx.ConnectError):  # no sandbox was started either
        httpx.get(f"http://127.0.0.1:{sandbox_port}/__sandbox/health", timeout=1)


def test_production_starts_with_an_upstream(sandbox: SandboxAdmin) -> None:
    with gateway_process(
        GATEWAY_ENV="production",
        UPSTREAM_URL=sandbox.url,
        UPSTREAM_AUTHORIZATION=DEMO_AUTHORIZATION,
    ) as (process, url):
        home = httpx.get(f"{url}/", timeout=5)
        process.terminate()
        assert process.wait(timeout=15) == 0
    assert home.status_code == 200
    assert home.json()["graphql"] == "/graphql"
