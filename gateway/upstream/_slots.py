"""A bound on upstream calls in flight, below the connection pool's size.

Calls beyond `limit` wait for a slot (never for a pooled connection, so httpx's
pool timeout never fires); at most `max_queue` may wait, and none past its
deadline. Beyond that the gateway sheds: OVERLOADED, at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway import errors
from gateway.deadline import Deadline


class CallSlots:
    def __init__(self, *, limit: int, max_queue: int) -> None:
        self._semaphore = asyncio.Semaphore(limit)
        self._max_queue = max_queue
        self._waiting = 0
        self.in_flight = 0

    @asynccontextmanager
    async def hold(self, deadline: Deadline) -> AsyncIterator[None]:
        if self._semaphore.locked():
            if self._waiting >= self._max_queue:
                raise errors.Overloaded(
                    "The gateway has too many upstream calls waiting; retry shortly.",
                    details={"retryAfter": 1},
                )
            self._waiting += 1
            try:
                async with asyncio.timeout_at(deadline.at):
                    await self._semaphore.acquire()
            except TimeoutError:
                raise errors.UpstreamTimeout(
                    "The operation's time budget ran out waiting for an upstream call slot."
                ) from None
            finally:
                self._waiting -= 1
        else:
            await self._semaphore.acquire()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._semaphore.release()
