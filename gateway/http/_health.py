"""/healthz: the process answers. /readyz: it should be sent traffic.

Ready once the lifespan has opened the upstream client and until shutdown, as
long as no endpoint's circuit is open, or the upstream answered recently
(READY_RECENT_S). An open circuit stops counting once its open period is over
(the next call probes it), so a pod taken out of rotation comes back by itself.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.upstream import BreakerState, UpstreamClient

READY_RECENT_S = 30.0


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def readiness(client: UpstreamClient | None, *, recent_s: float = READY_RECENT_S) -> list[str]:
    """Why the gateway is not ready (empty: ready)."""
    if client is None:
        return ["the upstream client is not open (starting or stopping)"]
    if client.answered_within(recent_s):
        return []
    return [
        f"upstream {endpoint.value} is failing: circuit open for {breaker.retry_in():.1f} s more"
        for endpoint, breaker in client.breakers.items()
        if breaker.state is BreakerState.OPEN and breaker.retry_in() > 0
    ]
