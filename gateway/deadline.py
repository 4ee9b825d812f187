"""A moment on the event loop's clock by which some work must be done.

Each GraphQL operation gets one (OPERATION_TIMEOUT_S from its start); every
upstream call, retry, rate-limit wait and queue wait it causes ends by then.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    at: float  # in the running loop's `time()`

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(asyncio.get_running_loop().time() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - asyncio.get_running_loop().time())

    def expired(self) -> bool:
        return self.remaining() <= 0

    def within(self, seconds: float) -> Deadline:
        """This deadline, or `seconds` from now if that comes first."""
        return Deadline(min(self.at, asyncio.get_running_loop().time() + seconds))
