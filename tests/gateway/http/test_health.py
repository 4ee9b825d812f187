"""/healthz and /readyz (gateway/http/_health.py): readiness is about this process,
against the sandbox over real HTTP."""

import asyncio

import httpx
import pytest

from gateway.app import create_app
from tests.conftest import GatewayClient, SandboxAdmin, settings_for
from tests.queries import BIG_CUSTOMER

pytestmark = pytest.mark.integration

PROMOTION = 'query P { promotion(programId: "973", id: "200001") { id } }'


async def test_readiness_stays_200_through_an_upstream_outage_and_says_so(
    sandbox: SandboxAdmin,
) -> None:
    settings = settings_for(sandbox.url, breaker_failure_threshold=1, breaker_open_s=0.5)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        starting = await http.get("/readyz")
        assert starting.status_code == 503  # lifespan not started
        assert starting.json()["reasons"][0].startswith("starting")
        async with app.router.lifespan_context(app):
            gateway = GatewayClient(http)
            ready = await http.get("/readyz")
            assert ready.json() == {"status": "ready", "upstream": {"status": "ok"}}
            sandbox.faults(endpoint={"customer_promotions": {"status": 503}})
            await gateway.query(
                f'{{ customer(identifierType: MOBILE, identifierValue: "{BIG_CUSTOMER}") {{ id }} }}'
            )
            down = await http.get("/readyz")
            # The upstream is every pod's: its outage must not take them all out of rotation.
            assert down.status_code == 200
            assert down.json() == {
                "status": "ready",
                "upstream": {"status": "degraded", "circuits": {"customer_promotions": "open"}},
            }
            sandbox.reset()
            await asyncio.sleep(0.6)  # the open period ends: the next call probes
            await gateway.query(
                f'{{ customer(identifierType: MOBILE, identifierValue: "{BIG_CUSTOMER}") {{ id }} }}'
            )
            assert (await http.get("/readyz")).json()["upstream"] == {"status": "ok"}
        stopped = await http.get("/readyz")
    assert stopped.status_code == 503
    assert stopped.json()["reasons"][0].startswith("draining")


async def test_once_draining_readiness_is_503_as_requests_are_still_served(
    sandbox: SandboxAdmin,
) -> None:
    app = create_app(settings_for(sandbox.url))
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as http,
        app.router.lifespan_context(app),
    ):
        assert (await http.get("/readyz")).status_code == 200
        # What each worker does at SIGTERM (a real process: tests/gateway/runtime/test_server.py).
        app.state.readiness.drain()
        draining = await http.get("/readyz")
        served = await GatewayClient(http).query(PROMOTION)
    assert draining.status_code == 503
    assert draining.json()["status"] == "unavailable"
    assert draining.json()["reasons"] == ["draining: the process is shutting down"]
    assert served["data"]["promotion"]["id"] == "200001"


async def test_readiness_is_503_while_the_worker_sheds_requests(sandbox: SandboxAdmin) -> None:
    sandbox.faults(latency_ms=800)
    app = create_app(settings_for(sandbox.url, max_concurrent_requests=1))
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as http,
        app.router.lifespan_context(app),
    ):
        slow = asyncio.ensure_future(GatewayClient(http).post(PROMOTION))
        await asyncio.sleep(0.3)
        full = await http.get("/readyz")
        await slow
        after = await http.get("/readyz")
    assert full.status_code == 503
    assert full.json()["reasons"] == ["overloaded: 1 requests in progress, at most 1"]
    assert after.status_code == 200
