"""Fixtures: the sandbox upstream on a loopback port, and gateways in front of it.

The suite runs either way round the fast executor (schema/_engine): with
`FAST_EXECUTION=false` in the environment, every gateway it builds serves with
strawberry's and graphql-core's own execution. `settings_for` passes the switch
to the settings it makes (the gateway's own `Settings.fast_execution`), and
gateways in subprocesses read it from the environment they inherit. Tests of the
engine itself build their schemas with it explicitly, so they run it both ways.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bench.processes import free_port, started
from bench.redis_server import RedisServer
from gateway.app import create_app
from gateway.observability import Metrics
from gateway.settings import Settings
from sandbox import DEMO_AUTHORIZATION
from sandbox.server import RunningSandbox, serve_in_thread

# The switch, read as the gateway reads FAST_EXECUTION (unset or blank: on).
FAST_EXECUTION = Settings.from_env(
    {"FAST_EXECUTION": os.environ.get("FAST_EXECUTION", "")}
).fast_execution


def pytest_report_header() -> str:
    return f"fast execution (FAST_EXECUTION): {'on' if FAST_EXECUTION else 'off'}"


@pytest.fixture(scope="session")
def running_sandbox() -> Iterator[RunningSandbox]:
    running = serve_in_thread()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on a loopback port, shared by the session's tests (which
    keep apart by key prefix, or flush it). Tests that kill or pause a server start
    their own `RedisServer`."""
    with RedisServer() as server:
        yield server


@dataclass
class SandboxAdmin:
    """The sandbox's admin API, over real HTTP."""

    url: str

    def faults(self, **spec: Any) -> None:
        httpx.post(f"{self.url}/__sandbox/faults", json=spec).raise_for_status()

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = httpx.get(f"{self.url}/__sandbox/stats").json()
        return stats

    def calls(self, endpoint: str) -> int:
        count: int = self.stats()["calls"].get(endpoint, 0)
        return count

    def reset(self) -> None:
        httpx.post(f"{self.url}/__sandbox/reset").raise_for_status()


@pytest.fixture
def sandbox(running_sandbox: RunningSandbox) -> SandboxAdmin:
    admin = SandboxAdmin(running_sandbox.url)
    admin.reset()
    return admin


@dataclass
class GatewayClient:
    http: httpx.AsyncClient

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        authorization: str | None = DEMO_AUTHORIZATION,
    ) -> httpx.Response:
        headers = {"Authorization": authorization} if authorization else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        authorization: str | None = DEMO_AUTHORIZATION,
    ) -> dict[str, Any]:
        response = await self.post(query, variables, authorization=authorization)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def settings_for(url: str, **changes: Any) -> Settings:
    changes.setdefault("upstream_timeout_s", 5.0)
    changes.setdefault("fast_execution", FAST_EXECUTION)
    return Settings(upstream_url=url, **changes)


@pytest.fixture
def gateway_settings(sandbox: SandboxAdmin) -> Settings:
    return settings_for(sandbox.url)


@asynccontextmanager
async def gateway_for(settings: Settings, **options: Any) -> AsyncIterator[GatewayClient]:
    """A gateway app with its lifespan running, called in-process over ASGI (`options`
    go to `create_app`)."""
    app = create_app(settings, **options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield GatewayClient(http)


@pytest.fixture
async def gateway(gateway_settings: Settings) -> AsyncIterator[GatewayClient]:
    async with gateway_for(gateway_settings) as client:
        yield client


@contextmanager
def gateway_process(**env: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m gateway` on a free port, answering /healthz; `env` on top of ours
    (without our UPSTREAM_* settings, so with no UPSTREAM_URL it embeds the sandbox)."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("UPSTREAM_")}
    environ = {**inherited, "PORT": str(port), "LOG_LEVEL": "WARNING", **env}
    url = f"http://127.0.0.1:{port}"
    with started([sys.executable, "-m", "gateway"], environ, f"{url}/healthz") as process:
        yield process, url


def redis_commands(metrics: Metrics, command: str, outcome: str = "ok") -> float:
    """How many Redis calls (a command, or one tick's pipeline) of `command` ended so."""
    value = metrics.registry.get_sample_value(
        "redis_commands_total", {"command": command, "outcome": outcome}
    )
    return value or 0.0
