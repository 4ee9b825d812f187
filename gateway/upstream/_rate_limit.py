"""The vendor's quota, enforced on our side: a token bucket per credential.

UPSTREAM_RATE_LIMIT_PER_MIN is the quota of the whole fleet, per credential. With
Redis, every replica draws on one shared bucket per credential fingerprint
(`gateway.fleet.SharedBuckets`: one Lua script on Redis's clock), so one replica
may use all of it while the others are idle. Without Redis, and while it cannot be
used, each process keeps to its share, UPSTREAM_RATE_LIMIT_PER_MIN /
FLEET_MAX_PROCESSES (else WEB_CONCURRENCY), in a bucket of its own: the quota
fails safe, not open, and sharing resumes with the next call Redis answers.

Every bucket holds a tenth of its minute's quota and refills at nine tenths of it
(a little less with a fleet: below), so no 60 s window ever sees more than the
quota, bursts included. A short wait for a token is queued (within the caller's
deadline); a longer one fails at once with RATE_LIMITED and `retryAfter`. A 429
from the upstream empties the bucket and, with a Retry-After, blocks it until
then: on every replica, when the bucket is shared (a call that queued for its
turn asks again before it goes). A background refresh (no request waiting) never
waits, and goes only while half the burst stays for requests.

Going between the two keeps the bound, and blocks no one. When Redis goes, the fleet
may just have used every token, and calls it admitted may still be waiting for their
turn (up to UPSTREAM_RATE_LIMIT_MAX_WAIT_S, `w`): so a process's own share starts
empty (a head start of a few tokens would exceed the bound by up to a burst per
process), and, with a fleet, every bucket refills at 0.9 x 60 / (60 + w) of the
quota instead of 0.9: the calls still queued on the shared bucket and the shares'
first calls may then overlap for `w` seconds and no 60 s window holds more than the
quota, burst included. For the default w = 1 s that costs 1.5% of the quota (1.6% of
the refill); the other way, starting each share blocked for `w`, would hold requests
up to `w` whenever Redis goes. Back on Redis, a credential charges the shared bucket
for exactly the calls it admitted on its own share (the script moves the bucket on
by one interval per call), and owes the time the other replicas may still spend on
their own shares (RESYNC_S; a second already owed by an earlier return is not owed
again, and the calls of one burst coming back together charge once); a credential
that made no call on its own share charges nothing, so one blip on one credential,
or on one replica, costs the others nothing. If Redis restarted it forgot every
bucket: a credential that drew from its shared bucket within the bucket key's grace
(SHARED_GRACE_S; the key outlives a full bucket that long) and finds the key missing
drains it, as nothing the fleet did before is known.
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
# How long a quota bucket's key outlives the moment it is full again in Redis; a
# credential that drew within RESTART_WITHIN_S and finds no key knows Redis lost it.
SHARED_GRACE_S = 60.0
RESTART_WITHIN_S = 50.0
# Of a minute's quota, the part a bucket refills in a minute (its burst is the rest).
REFILL = 0.9


def fleet_refill(max_wait_s: float) -> float:
    """A fleet's refill: a minute's 0.9 spread over 60 s plus the longest queued wait,
    so that the shared bucket's queued calls and the local shares' first calls may
    overlap when Redis goes without any 60 s window holding more than the quota."""
    return REFILL * 60 / (60 + max(0.0, max_wait_s))


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
        refill = REFILL if fleet is None else fleet_refill(max_wait_s)
        self.buckets = TokenBuckets(
            rate_per_s=calls_per_s * refill,
            capacity=capacity,
            max_keys=max_credentials,
            clock=clock,
        )
        self.shared: SharedBuckets | None = None
        self._owed_s = 0.0
        self._clock = clock
        # Per credential: calls admitted on this process's own share since it last
        # drew from Redis (present while on its own share), and when it last drew.
        self._on_own: LRUCache[str, int] = LRUCache(maxsize=max_credentials)
        self._drawn_at: LRUCache[str, float] = LRUCache(maxsize=max_credentials)
        # Per credential: until when the other replicas' time away has been charged.
        self._owed_until: LRUCache[str, float] = LRUCache(maxsize=max_credentials)
        if fleet is not None:
            whole = max(calls_per_s, fleet_calls_per_s or calls_per_s)
            self.shared = SharedBuckets(
                fleet,
                "quota",
                rate_per_s=whole * refill,
                capacity=max(1.0, whole * 6),
                grace_s=SHARED_GRACE_S,
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
            raise self._refused(exhausted.wait_s) from None
        if wait_s > 0:
            await asyncio.sleep(wait_s)
            # A 429 may have come, here or on another replica, while this call waited
            # its turn: it goes no further.
            paused_s = await self._paused_s(fingerprint, deadline)
            if paused_s > 0:
                raise self._refused(paused_s)

    async def _paused_s(self, fingerprint: str, deadline: Deadline) -> float:
        """How long the credential is still paused by a 429: this process's pause, or
        (for a call drawn from the shared bucket) the fleet's, if Redis says so within
        the caller's deadline."""
        paused_s = self.buckets[fingerprint].blocked_s()
        if self.shared is None or paused_s > 0 or fingerprint in self._on_own:
            return paused_s
        try:
            async with asyncio.timeout(max(0.0, deadline.remaining())):
                return await self.shared.paused_s(fingerprint)
        except (FleetUnavailable, TimeoutError):
            return 0.0  # the vendor's next answer says it again

    def _refused(self, wait_s: float) -> errors.RateLimited:
        if self._on_refusal is not None:
            self._on_refusal()
        return errors.RateLimited(
            "The upstream's rate limit for these credentials is used up; retry later.",
            details={"retryAfter": max(1, math.ceil(wait_s))},
        )

    async def _reserve(self, fingerprint: str, max_wait_s: float, background: bool) -> float:
        local = self.buckets[fingerprint]
        shared = self.shared
        if shared is not None:
            # This call carries the charge for the calls made on the own share: claimed
            # here, so that the calls of one burst coming back together charge it once.
            claimed = self._on_own.pop(fingerprint, None)
            charge, owed_until = self._charge(fingerprint, shared, claimed)
            drawn_at = self._drawn_at.get(fingerprint)
            recent = drawn_at is not None and self._clock() - drawn_at < RESTART_WITHIN_S
            keep = shared.capacity * BACKGROUND_KEEP if background else 0.0
            try:
                wait_s = await shared.reserve(
                    fingerprint,
                    max_wait_s,
                    keep=keep,
                    charge=charge,
                    restart_drain_s=shared.drain_s(self._owed_s) if recent else 0.0,
                )
            except FleetUnavailable:
                if claimed is None and fingerprint not in self._on_own:
                    local.drain(0.0)  # empty; the refill's reserve covers the fleet's waits
                # Still away: the claim goes back, with what the others made meanwhile.
                self._on_own[fingerprint] = self._on_own.get(fingerprint, 0) + (claimed or 0)
            except Exhausted:
                self._back_on_shared(fingerprint, owed_until)  # charged all the same
                raise
            else:
                self._back_on_shared(fingerprint, owed_until)
                return wait_s
        wait_s = local.reserve(max_wait_s, keep=self._local_keep if background else 0.0)
        if shared is not None:
            self._on_own[fingerprint] = self._on_own.get(fingerprint, 0) + 1
        return wait_s

    def _charge(
        self, fingerprint: str, shared: SharedBuckets, claimed: int | None
    ) -> tuple[int, float | None]:
        """Tokens owed on return, and until when the other replicas' time away is then
        charged: the calls made on this process's own share, and (only if there were
        any) the others' time still away (RESYNC_S) not already charged by an earlier
        return, so that a replica going back and forth charges each second once."""
        if not claimed:
            return 0, None
        now = self._clock()
        owed_until = now + self._owed_s
        uncharged_s = owed_until - max(now, self._owed_until.get(fingerprint, 0.0))
        return claimed + math.ceil(max(0.0, uncharged_s) * shared.rate_per_s), owed_until

    def _back_on_shared(self, fingerprint: str, owed_until: float | None) -> None:
        self._drawn_at[fingerprint] = self._clock()
        if owed_until is not None:
            self._owed_until[fingerprint] = owed_until

    async def throttle(self, fingerprint: str, retry_after_s: float | None) -> None:
        """The upstream said 429: this process's bucket and the fleet's wait as asked."""
        self.buckets[fingerprint].throttle(retry_after_s)
        if self.shared is not None:
            # Without Redis, the other replicas hear it from the vendor themselves.
            with contextlib.suppress(FleetUnavailable):
                await self.shared.throttle(fingerprint, retry_after_s)
