"""/healthz: the process answers. /readyz: this process should be sent traffic.

Readiness is about this process only: it is ready once the lifespan has opened
the upstream client, until it starts draining (at SIGTERM: for SHUTDOWN_DRAIN_S
the worker still serves, with /readyz 503, see gateway.runtime; or at the
lifespan's shutdown), and while it is not shedding requests (`Load` full). The upstream is
shared by every pod: its outage must not take them all out of rotation at once,
when each could still serve what it has cached (stale if need be). So /readyz
stays 200 through an upstream outage and only reports the upstream's state in
its body (`upstream`: `ok`, or `degraded` with each open circuit); the
upstream's health is for metrics (`upstream_breaker_state`) and logs, where
alerts belong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.http._limits import Load
from gateway.upstream import BreakerState, UpstreamClient


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@dataclass
class Readiness:
    """Whether this process should get traffic, and the upstream's state for the body."""

    load: Load
    draining: bool = False
    client: UpstreamClient | None = field(default=None, repr=False)

    def drain(self) -> None:
        """Shutdown has begun: out of rotation from now on."""
        self.draining = True

    def reasons(self) -> list[str]:
        """Why this process is not ready (empty: ready)."""
        if self.draining:
            return ["draining: the process is shutting down"]
        if self.client is None:
            return ["starting: the upstream client is not open yet"]
        if self.load.full:
            return [
                f"overloaded: {self.load.in_progress} requests in progress, "
                f"at most {self.load.max_in_progress}"
            ]
        return []

    def report(self) -> tuple[int, dict[str, Any]]:
        """/readyz's status and body."""
        reasons = self.reasons()
        body: dict[str, Any] = {"status": "unavailable" if reasons else "ready"}
        if reasons:
            body["reasons"] = reasons
        if self.client is not None:
            body["upstream"] = upstream_state(self.client)
        return (503 if reasons else 200), body


def upstream_state(client: UpstreamClient) -> dict[str, Any]:
    """`ok`, or `degraded` with the endpoints whose circuit is open or probing."""
    circuits = {
        endpoint.value: breaker.state.value
        for endpoint, breaker in client.breakers.items()
        if breaker.state is not BreakerState.CLOSED
    }
    if not circuits:
        return {"status": "ok"}
    return {"status": "degraded", "circuits": circuits}
