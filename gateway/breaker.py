"""A circuit breaker: one per upstream endpoint, and one in front of Redis.

Closed: calls go through; consecutive failures (5xx, timeouts, connection
errors) are counted, and any answer from a healthy upstream (a 2xx, or a 4xx
about the request) resets the count. At `failure_threshold` it opens: calls
fail fast, without touching the network, for `open_s`. Then it half-opens and
lets exactly one probe through: success closes it, failure opens it again.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int,
        open_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self._threshold = failure_threshold
        self._open_s = open_s
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._on_change = on_change

    @property
    def state(self) -> BreakerState:
        return self._state

    def _become(self, state: BreakerState) -> None:
        changed = state is not self._state
        self._state = state
        if changed and self._on_change is not None:
            self._on_change(state)

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self._open_s - self._clock())

    def admit(self) -> bool:
        """May a call go out now? A half-open breaker admits one probe at a time."""
        if self._state is BreakerState.OPEN:
            if self._clock() - self._opened_at < self._open_s:
                return False
            self._become(BreakerState.HALF_OPEN)
        if self._state is BreakerState.HALF_OPEN:
            if self._probing:
                return False
            self._probing = True
        return True

    def record(self, *, failed: bool) -> None:
        """The verdict of an admitted call."""
        was_probe = self._probing
        self._probing = False
        if not failed:
            self._failures = 0
            if self._state is BreakerState.HALF_OPEN:
                self._become(BreakerState.CLOSED)
            return
        self._failures += 1
        if (was_probe and self._state is BreakerState.HALF_OPEN) or (
            self._state is BreakerState.CLOSED and self._failures >= self._threshold
        ):
            self._open()

    def release(self) -> None:
        """An admitted call ended without reaching the upstream (say, it was cancelled)."""
        self._probing = False

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._become(BreakerState.OPEN)
