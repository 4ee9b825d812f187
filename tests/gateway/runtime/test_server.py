"""SIGTERM: stop accepting, finish what is in progress within the grace period, exit 0."""

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from gateway.runtime._server import GracefulServer
from sandbox import DEMO_AUTHORIZATION
from tests.conftest import SandboxAdmin, gateway_process

pytestmark = pytest.mark.integration

QUERY = '{ promotion(programId: "973", id: "200001") { id } }'


@contextmanager
def gateway_on(upstream: str, **env: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with gateway_process(
        UPSTREAM_URL=upstream, UPSTREAM_AUTHORIZATION=DEMO_AUTHORIZATION, **env
    ) as running:
        yield running


async def test_sigterm_finishes_the_request_in_progress_and_exits_0(
    sandbox: SandboxAdmin,
) -> None:
    sandbox.faults(latency_ms=1500)
    with gateway_on(sandbox.url, SHUTDOWN_GRACE_S="10") as (process, url):
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            in_progress = asyncio.ensure_future(http.post("/graphql", json={"query": QUERY}))
            await asyncio.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            response = await in_progress
        assert response.status_code == 200
        assert response.json() == {"data": {"promotion": {"id": "200001"}}}
        assert await asyncio.to_thread(process.wait, 15) == 0
        async with httpx.AsyncClient(base_url=url, timeout=1) as late:
            with pytest.raises(httpx.ConnectError):
                await late.get("/healthz")


async def test_the_grace_period_bounds_the_shutdown(sandbox: SandboxAdmin) -> None:
    sandbox.faults(latency_ms=8000)
    with gateway_on(sandbox.url, SHUTDOWN_GRACE_S="1", OPERATION_TIMEOUT_S="30") as (
        process,
        url,
    ):
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            in_progress = asyncio.ensure_future(http.post("/graphql", json={"query": QUERY}))
            await asyncio.sleep(0.5)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(process.wait, 15) == 0
            stopped_after = time.monotonic() - started
            cut_short = await in_progress
    assert stopped_after < 6  # the 1 s grace, not the 8 s upstream
    assert cut_short.status_code == 503
    assert cut_short.headers["Retry-After"] == "1"
    assert cut_short.json()["errors"][0]["extensions"]["code"] == "SHUTTING_DOWN"


def test_sigterm_marks_the_app_draining_before_the_server_stops() -> None:
    drained: list[bool] = []
    server = GracefulServer(uvicorn.Config(app=lambda: None, log_config=None))
    server.on_exit.append(lambda: drained.append(server.should_exit))
    server.handle_exit(signal.SIGTERM, None)
    assert drained == [False]  # told before uvicorn starts stopping
    assert server.should_exit
