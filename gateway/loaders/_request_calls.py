"""What every upstream call of one request shares: the client, the caller's
credential, the deadline and call list (`Caller`), the call budget, and the log
of records served stale."""

from __future__ import annotations

import time
from dataclasses import dataclass

from gateway.credentials import Credential
from gateway.loaders._budget import CallBudget
from gateway.loaders._staleness import StaleLog
from gateway.observability import UpstreamCall
from gateway.upstream import Caller, UpstreamClient


@dataclass(frozen=True, slots=True)
class RequestCalls:
    client: UpstreamClient
    credential: Credential
    caller: Caller
    budget: CallBudget
    stale: StaleLog

    def served_from_cache(
        self, endpoint: str, params: dict[str, str], event: str, started: float | None = None
    ) -> None:
        """Note a lookup the cache answered (a miss is noted by the call itself), from
        `started` (the lookup's start on the perf_counter clock) until now; without a
        start (cached promotions looked at and served together), an instant: now."""
        if event != "miss" and self.caller.calls is not None:
            call = UpstreamCall(endpoint, params, event)
            if started is not None:
                call.started = started
            call.duration_ms = round((time.perf_counter() - call.started) * 1000, 2)
            self.caller.calls.append(call)
