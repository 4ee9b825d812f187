"""What an upstream call carries from the request that makes it: its deadline, where
it reports (`UpstreamCall` lines), how it was served, and headers to forward."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from gateway.deadline import Deadline
from gateway.observability import UpstreamCall


@dataclass(frozen=True, slots=True)
class Caller:
    """By when a call must end, and where it reports (None: no request is waiting)."""

    deadline: Deadline
    calls: list[UpstreamCall] | None = None
    # Cache hits listed one by one (explain mode), or counted in one line (the log's).
    itemised: bool = True
    cache: str = "none"
    headers: dict[str, str] = field(default_factory=dict)  # X-Request-ID, traceparent

    @property
    def background(self) -> bool:
        """No request waits for this call: a cache's refresh ahead of expiry."""
        return self.cache == "refresh"

    def for_cache(self, cache: str) -> Caller:
        return dataclasses.replace(self, cache=cache)
