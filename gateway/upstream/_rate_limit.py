"""The vendor's quota, enforced on our side: a token bucket per credential.

UPSTREAM_RATE_LIMIT_PER_MIN is the quota of the whole fleet, per credential. With
Redis, every replica draws on one shared bucket per credential fingerprint
(`gateway.fleet.SharedBuckets`: one Lua script on Redis's clock), so one replica
may use all of it while the others are idle. Without Redis, and while it cannot be
used, each process keeps to its share, UPSTREAM_RATE_LIMIT_PER_MIN /
FLEET_MAX_PROCESSES (else WEB_CONCURRENCY), in a bucket of its own: the quota
fails safe, not open, and sharing resumes with the next call Redis answers.

Every bucket holds a tenth of its minute's quota and refills at nine tenths of it,
so no 60 s window ever sees more than the quota, bursts included. A short wait for
a token is queued (within the caller's deadline); a longer one fails at once with
RATE_LIMITED and `retryAfter`. A 429 from the upstream empties the bucket and, with
a Retry-After, blocks it until then: on every replica, when the bucket is shared.
A background refresh (no request waiting) never waits, and goes only while half
the burst stays for requests.

Going between the two keeps the bound. When Redis goes, the fleet may just have
used every token, and calls it admitted may still be waiting for their turn: so
a process's own share starts empty and blocked for the longest wait admitted. A
process that saw Redis fail first drains the shared bucket when it is back (Redis
never saw the calls made on the local shares, or forgot everything in a restart),
and leaves owed the time the other replicas may still spend on their own shares
before they are back too (RESYNC_S), and the waits those shares admitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable

from cachetools import LRUCache

from gateway import errors
from gateway.deadline import Deadline
from gateway.fleet import Fleet, FleetUnavailable, SharedBuckets
from gateway.token_bucket import Exhausted, TokenBucket, TokenBuckets

# The longest a replica may stay on its own share once Redis is back for another
# (Redis's breaker is open for 1 s; the next call then finds it).
RESYNC_S = 2.0
# The part of the burst a background refresh leaves for requests.
BACKGROUND_KEEP = 0.5


class UpstreamRateLimit:
    """One token bucket per credential fingerprint, shared by the fleet with a `fleet`
    (`fleet_calls_per_s` the whole quota), else this process's (`calls_per_s`, its share)."""

    def __init__(
        self,
        *,
        calls_per_s: float,
        max_wait_s: float,
        fleet: Fleet | None = None,
        fleet_calls_per_s: float | None = None,
        max_credentials: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        on_refusal: Callable[[], None] | None = None,
    ) -> None:
        self._max_wait_s = max_wait_s
        self._on_refusal = on_refusal
        capacity = max(1.0, calls_per_s * 6)  # a tenth of a minute's share
        self._local_keep = capacity * BACKGROUND_KEEP
        self.buckets = TokenBuckets(
            rate_per_s=calls_per_s * 0.9,
            capacity=capacity,
            max_keys=max_credentials,
            clock=clock,
        )
        self.shared: SharedBuckets | None = None
        self._owed_s = 0.0
        # Redis failures seen, and how many there had been when each credential last
        # drew from Redis: a credential that has drawn since the last failure is in sync.
        self._failures = 0
        self._synced: LRUCache[str, int] = LRUCache(maxsize=max_credentials)
        # Credentials on this process's own share since they last drew from Redis.
        self._on_own: LRUCache[str, bool] = LRUCache(maxsize=max_credentials)
        if fleet is not None:
            whole = max(calls_per_s, fleet_calls_per_s or calls_per_s)
            self.shared = SharedBuckets(
                fleet, "quota", rate_per_s=whole * 0.9, capacity=max(1.0, whole * 6)
            )
            # While a replica is back, the others (share: 1 - this one's) may still be
            # away; and every share may have admitted calls that wait for their turn.
            self._owed_s = RESYNC_S * (1 - calls_per_s / whole) + max_wait_s

    def bucket(self, fingerprint: str) -> TokenBucket:
        return self.buckets[fingerprint]

    async def acquire(
        self, fingerprint: str, deadline: Deadline, *, background: bool = False
    ) -> None:
        max_wait_s = 0.0 if background else min(self._max_wait_s, deadline.remaining())
        try:
            wait_s = await self._reserve(fingerprint, max_wait_s, background)
        except Exhausted as exhausted:
            if self._on_refusal is not None:
                self._on_refusal()
            raise errors.RateLimited(
                "The upstream's rate limit for these credentials is used up; retry later.",
                details={"retryAfter": max(1, math.ceil(exhausted.wait_s))},
            ) from None
        if wait_s > 0:
            await asyncio.sleep(wait_s)

    async def _reserve(self, fingerprint: str, max_wait_s: float, background: bool) -> float:
        local = self.buckets[fingerprint]
        shared = self.shared
        if shared is not None:
            in_sync = self._synced.get(fingerprint, self._failures) == self._failures
            drain_s = 0.0 if in_sync else shared.drain_s(self._owed_s)
            keep = shared.capacity * BACKGROUND_KEEP if background else 0.0
            try:
                wait_s = await shared.reserve(fingerprint, max_wait_s, keep=keep, drain_s=drain_s)
            except FleetUnavailable:
                self._failures += 1  # on this process's own share, below
                if fingerprint not in self._on_own:
                    self._on_own[fingerprint] = True
                    local.drain(self._max_wait_s)  # empty, after the fleet's waits
            except Exhausted:
                self._synced[fingerprint] = self._failures  # drained all the same
                self._on_own.pop(fingerprint, None)
                raise
            else:
                self._synced[fingerprint] = self._failures
                self._on_own.pop(fingerprint, None)
                return wait_s
        wait_s = local.reserve(max_wait_s, keep=self._local_keep if background else 0.0)
        if shared is not None:
            self._synced[fingerprint] = -1  # Redis never saw this call
        return wait_s

    async def throttle(self, fingerprint: str, retry_after_s: float | None) -> None:
        """The upstream said 429: this process's bucket and the fleet's wait as asked."""
        self.buckets[fingerprint].throttle(retry_after_s)
        if self.shared is not None:
            # Without Redis, the other replicas hear it from the vendor themselves.
            with contextlib.suppress(FleetUnavailable):
                await self.shared.throttle(fingerprint, retry_after_s)
