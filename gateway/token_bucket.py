"""A token bucket: a steady rate with room for a burst, and a place in line for waiters."""

from __future__ import annotations

import time
from collections.abc import Callable

from cachetools import LRUCache


class Exhausted(Exception):
    """No token within the wait allowed; one comes after `wait_s` seconds."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"next token in {wait_s:.3f} s")
        self.wait_s = wait_s


class TokenBucket:
    def __init__(
        self, *, rate_per_s: float, capacity: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate_per_s
        self._capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._updated = clock()
        self._blocked_until = 0.0

    def _refill(self, now: float) -> None:
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    def reserve(self, max_wait_s: float, keep: float = 0.0) -> float:
        """Take a token; return how long to wait before using it.

        Raises Exhausted (taking nothing) when the wait would exceed `max_wait_s`.
        `keep` tokens must remain once this one is taken (a background call's reserve).
        """
        now = self._clock()
        self._refill(now)
        blocked_s = max(0.0, self._blocked_until - now)
        needed = 1 + min(keep, self._capacity - 1)
        # Tokens may go negative: each waiter holds its place in the queue.
        short_s = (needed - self._tokens) / self._rate if self._tokens < needed else 0.0
        wait_s = max(blocked_s, short_s)
        if wait_s > max_wait_s:
            raise Exhausted(wait_s)
        self._tokens -= 1
        return wait_s

    def blocked_s(self) -> float:
        """Seconds until a 429's Retry-After ends (0 when not blocked)."""
        return max(0.0, self._blocked_until - self._clock())

    def drain(self, for_s: float) -> None:
        """Spend every token, and the next `for_s` seconds of refill too."""
        self._refill(self._clock())
        self._tokens = min(self._tokens, 0.0) - for_s * self._rate

    def throttle(self, retry_after_s: float | None) -> None:
        """The upstream said 429: spend what is left, and wait as long as it asked."""
        now = self._clock()
        self._refill(now)
        self._tokens = min(self._tokens, 0.0)
        if retry_after_s:
            self._blocked_until = max(self._blocked_until, now + retry_after_s)


class TokenBuckets:
    """One bucket per key (a credential fingerprint, a client address), made on first
    use; the least recently used are forgotten past `max_keys`. `on_refusal` hears
    of every Exhausted, so the callers need not count them."""

    def __init__(
        self,
        *,
        rate_per_s: float,
        capacity: float,
        max_keys: int,
        clock: Callable[[], float] = time.monotonic,
        on_refusal: Callable[[], None] | None = None,
    ) -> None:
        self._rate = rate_per_s
        self._capacity = capacity
        self._clock = clock
        self._on_refusal = on_refusal
        self._buckets: LRUCache[str, TokenBucket] = LRUCache(maxsize=max_keys)

    def __getitem__(self, key: str) -> TokenBucket:
        found = self._buckets.get(key)
        if found is None:
            found = TokenBucket(rate_per_s=self._rate, capacity=self._capacity, clock=self._clock)
            self._buckets[key] = found
        return found

    def reserve(self, key: str, max_wait_s: float) -> float:
        """TokenBucket.reserve on `key`'s bucket."""
        try:
            return self[key].reserve(max_wait_s)
        except Exhausted:
            if self._on_refusal is not None:
                self._on_refusal()
            raise
