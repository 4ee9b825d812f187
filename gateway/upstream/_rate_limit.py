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

from gateway import errors
from gateway.deadline import Deadline
from gateway.token_bucket import Exhausted, TokenBucket, TokenBuckets


class UpstreamRateLimit:
    """One token bucket per credential fingerprint (least recently used ones forgotten)."""

    def __init__(
        self,
        *,
        calls_per_s: float,
        max_wait_s: float,
        max_credentials: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        on_refusal: Callable[[], None] | None = None,
    ) -> None:
        self._max_wait_s = max_wait_s
        self.buckets = TokenBuckets(
            rate_per_s=calls_per_s * 0.9,
            capacity=max(1.0, calls_per_s * 6),  # a tenth of a minute's share
            max_keys=max_credentials,
            clock=clock,
            on_refusal=on_refusal,
        )

    def bucket(self, fingerprint: str) -> TokenBucket:
        return self.buckets[fingerprint]

    async def acquire(self, fingerprint: str, deadline: Deadline) -> None:
        max_wait_s = min(self._max_wait_s, deadline.remaining())
        try:
            wait_s = self.buckets.reserve(fingerprint, max_wait_s)
        except Exhausted as exhausted:
            raise errors.RateLimited(
                "The upstream's rate limit for these credentials is used up; retry later.",
                details={"retryAfter": max(1, math.ceil(exhausted.wait_s))},
            ) from None
        if wait_s > 0:
            await asyncio.sleep(wait_s)

    def throttle(self, fingerprint: str, retry_after_s: float | None) -> None:
        self.buckets[fingerprint].throttle(retry_after_s)
