"""`promotions-gateway` with no configuration: sandbox embedded, example query answered."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.queries import BIG_CUSTOMER, WALLET

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served() -> Iterator[str]:
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("UPSTREAM_URL", "UPSTREAM_AUTHORIZATION")
    }
    env.update(PORT=str(port), SANDBOX_PORT=str(free_port()), LOG_LEVEL="WARNING")
    process = subprocess.Popen([sys.executable, "-m", "gateway"], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
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
