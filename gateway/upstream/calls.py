"""What one upstream call reports, and what it carries from the request that makes it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from gateway.deadline import Deadline


@dataclass(slots=True)
class UpstreamCall:
    """One line of a request's upstream activity (explain mode, logs).

    `cache` says how the gateway got the data: "miss" (this request called),
    "hit", "join" (another request's call in flight), "stale", or "none" for
    data that is never cached (the customer lookup).
    """

    endpoint: str
    params: dict[str, str]
    cache: str
    status: int | str | None = None  # HTTP status, or "timeout", "unreachable", "breaker_open"...
    duration_ms: float | None = None
    retries: int = 0
    error: str | None = None
    count: int = 1  # lookups this line stands for (cache hits counted, not listed)

    def as_dict(self) -> dict[str, Any]:
        shown = {
            "endpoint": self.endpoint,
            "params": self.params,
            "cache": self.cache,
            "status": self.status,
            "durationMs": self.duration_ms,
            "retries": self.retries,
        }
        if self.error is not None:
            shown["error"] = self.error
        return shown


@dataclass(frozen=True, slots=True)
class Caller:
    """By when a call must end, and where it reports (None: no request is waiting)."""

    deadline: Deadline
    calls: list[UpstreamCall] | None = None
    # Cache hits listed one by one (explain mode), or counted in one line (the log's).
    itemised: bool = True
    cache: str = "none"
    headers: dict[str, str] = field(default_factory=dict)  # X-Request-ID, traceparent

    def for_cache(self, cache: str) -> Caller:
        return dataclasses.replace(self, cache=cache)
