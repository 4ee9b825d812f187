"""Everything one request did, gathered as it happens: for its log line and explain mode."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class UpstreamCall:
    """One line of a request's upstream activity (explain mode, logs).

    `cache` says how the gateway got the data: "miss" (this request called),
    "hit", "join" (another request's call in flight), "stale", or "none" for
    data that is never cached (the customer lookup). `started` is when the call (or
    the cache lookup) began, on the clock of `RequestRecord.started`, so explain mode
    can place each call on the request's time axis.
    """

    endpoint: str
    params: dict[str, str]
    cache: str
    status: int | str | None = None  # HTTP status, or "timeout", "unreachable", "breaker_open"...
    duration_ms: float | None = None
    retries: int = 0
    error: str | None = None
    count: int = 1  # lookups this line stands for (cache hits counted, not listed)
    started: float = field(default_factory=time.perf_counter)

    def as_dict(self, origin: float) -> dict[str, Any]:
        """The call as explain mode shows it, its start and end in ms after `origin`."""
        start_ms = round((self.started - origin) * 1000, 2)
        shown = {
            "endpoint": self.endpoint,
            "params": self.params,
            "cache": self.cache,
            "status": self.status,
            "startMs": start_ms,
            "endMs": None if self.duration_ms is None else round(start_ms + self.duration_ms, 2),
            "durationMs": self.duration_ms,
            "retries": self.retries,
        }
        if self.error is not None:
            shown["error"] = self.error
        return shown


@dataclass(slots=True)
class RequestRecord:
    request_id: str
    started: float = field(default_factory=time.perf_counter)
    operation_name: str | None = None
    explain: bool = False
    traceparent: str | None = None  # the client's, if it sent one
    calls: list[UpstreamCall] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)
    # The operation's upstream calls as estimated before it ran, and the most allowed.
    estimated_calls: int | None = None
    max_calls: int | None = None

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 2)

    def upstream_calls(self) -> int:
        """Calls this request made (and their retries): what reached the vendor."""
        return sum(1 + call.retries for call in self.calls if call.cache in ("miss", "none"))

    def cache_outcomes(self) -> dict[str, int]:
        outcomes: Counter[str] = Counter()
        for call in self.calls:
            if call.cache != "none":
                outcomes[call.cache] += call.count
        return dict(outcomes)

    def explained(self) -> dict[str, Any]:
        # Time in calls this request made; a hit's or a join's wait is not upstream time.
        upstream_ms = sum(
            call.duration_ms or 0 for call in self.calls if call.cache in ("miss", "none")
        )
        return {
            "calls": [call.as_dict(self.started) for call in self.calls],
            "totals": {
                "upstreamCalls": self.upstream_calls(),
                "retries": sum(call.retries for call in self.calls),
                "cache": self.cache_outcomes(),
                "wallMs": self.elapsed_ms(),
                "upstreamMs": round(upstream_ms, 2),
                "estimatedUpstreamCalls": self.estimated_calls,
                "maxUpstreamCalls": self.max_calls,
            },
        }
