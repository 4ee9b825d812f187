"""When to retry an upstream call, and a budget so retries cannot multiply load.

Backoff is exponential with full jitter. The budget keeps retries at most a
share of the calls made over a sliding window (plus a small floor, so a lone
call on a quiet gateway may still be retried): during an outage, every call
failing does not turn into three.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable


def backoff_s(
    retry: int, base_s: float, rng: Callable[[float, float], float] = random.uniform
) -> float:
    """Full jitter: anywhere between 0 and base * 2**retry."""
    return rng(0.0, base_s * 2**retry)


class RetryBudget:
    """Retries within `window_s` may be at most `ratio` of its calls, plus `floor`."""

    def __init__(
        self,
        *,
        ratio: float,
        window_s: int = 10,
        floor: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ratio = ratio
        self._floor = floor
        self._clock = clock
        # One bucket per second of the window, reused round-robin: constant memory.
        self._seconds = [-1] * window_s
        self._calls = [0] * window_s
        self._retries = [0] * window_s

    def _bucket(self) -> int:
        second = int(self._clock())
        index = second % len(self._seconds)
        if self._seconds[index] != second:
            self._seconds[index] = second
            self._calls[index] = 0
            self._retries[index] = 0
        return index

    def _window(self) -> tuple[int, int]:
        oldest = int(self._clock()) - len(self._seconds) + 1
        live = [i for i, second in enumerate(self._seconds) if second >= oldest]
        return sum(self._calls[i] for i in live), sum(self._retries[i] for i in live)

    def record_call(self) -> None:
        self._calls[self._bucket()] += 1

    def try_spend(self) -> bool:
        """Take one retry from the budget, if there is one left."""
        index = self._bucket()
        calls, retries = self._window()
        if retries + 1 > self._ratio * calls + self._floor:
            return False
        self._retries[index] += 1
        return True
