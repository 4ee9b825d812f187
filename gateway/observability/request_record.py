"""Everything one request did, gathered as it happens: for its log line and explain mode."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gateway.upstream.calls import UpstreamCall


@dataclass(slots=True)
class RequestRecord:
    request_id: str
    started: float = field(default_factory=time.perf_counter)
    operation_name: str | None = None
    explain: bool = False
    traceparent: str | None = None  # the client's, if it sent one
    calls: list[UpstreamCall] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)

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
        upstream_ms = sum(call.duration_ms or 0 for call in self.calls)
        return {
            "calls": [call.as_dict() for call in self.calls],
            "totals": {
                "upstreamCalls": self.upstream_calls(),
                "retries": sum(call.retries for call in self.calls),
                "cache": self.cache_outcomes(),
                "wallMs": self.elapsed_ms(),
                "upstreamMs": round(upstream_ms, 2),
            },
        }
