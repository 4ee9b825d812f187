"""`promotions-gateway` with no configuration: sandbox embedded, example query answered."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from bench.processes import free_port
from gateway.runtime._sandbox import EMBEDDED_SANDBOX
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


def ide_config(url: str) -> dict[str, Any]:
    page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}, timeout=10).text
    found = re.search(r'<script type="application/json" id="ide-config">(.*?)</script>', page)
    assert found is not None
    config: dict[str, Any] = json.loads(found.group(1))
    return config


def test_the_ide_presets_the_demo_credential_on_the_sandbox_the_cli_started(served: str) -> None:
    config = ide_config(served)
    assert json.loads(config["headers"]) == {"Authorization": DEMO_AUTHORIZATION}
    assert config["persistHeaders"] is True


def test_an_upstream_on_the_sandbox_port_is_not_taken_for_the_sandbox(
    sandbox: SandboxAdmin,
) -> None:
    # UPSTREAM_URL is http://127.0.0.1:$SANDBOX_PORT, but this process started nothing
    # there (a proxy could be listening); a flag inherited from a parent counts for nothing.
    port = str(urlsplit(sandbox.url).port)
    with gateway_process(
        UPSTREAM_URL=sandbox.url, SANDBOX_PORT=port, **{EMBEDDED_SANDBOX: sandbox.url}
    ) as (_process, url):
        config = ide_config(url)
    assert config["headers"] is None
    assert config["persistHeaders"] is False
