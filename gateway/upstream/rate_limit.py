"""The vendor's quota, enforced on our side: a token bucket per credential.

Each worker takes an equal share of UPSTREAM_RATE_LIMIT_PER_MIN. The bucket
holds a tenth of the minute's share and refills at nine tenths of it, so no 60 s
window ever sees more than the share, bursts included. A short wait for a token
is queued (within the caller's deadline); a longer one fails at once with
RATE_LIMITED and `retryAfter`. A 429 from the upstream empties the bucket and,
with a Retry-After, blocks it until then.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from cachetools import LRUCache

from gateway import errors
from gateway.deadline import Deadline
from gateway.token_bucket import Exhausted, TokenBucket


class UpstreamRateLimit:
    """One token bucket per credential fingerprint (least recently used ones forgotten)."""

    def __init__(
        self,
        *,
        calls_per_s: float,
        max_wait_s: float,
        max_credentials: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = calls_per_s * 0.9
        self._capacity = max(1.0, calls_per_s * 6)  # a tenth of a minute's share
        self._max_wait_s = max_wait_s
        self._clock = clock
        self._buckets: LRUCache[str, TokenBucket] = LRUCache(maxsize=max_credentials)

    def bucket(self, fingerprint: str) -> TokenBucket:
        found = self._buckets.get(fingerprint)
        if found is None:
            found = TokenBucket(rate_per_s=self._rate, capacity=self._capacity, clock=self._clock)
            self._buckets[fingerprint] = found
        return found

    async def acquire(self, fingerprint: str, deadline: Deadline) -> None:
        max_wait_s = min(self._max_wait_s, deadline.remaining())
        try:
            wait_s = self.bucket(fingerprint).reserve(max_wait_s)
        except Exhausted as exhausted:
            raise errors.RateLimited(
                "The upstream's rate limit for these credentials is used up; retry later.",
                details={"retryAfter": max(1, math.ceil(exhausted.wait_s))},
            ) from None
        if wait_s > 0:
            await asyncio.sleep(wait_s)

    def throttle(self, fingerprint: str, retry_after_s: float | None) -> None:
        self.bucket(fingerprint).throttle(retry_after_s)
