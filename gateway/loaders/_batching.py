"""A typed DataLoader whose batches fetch each key on its own, a bounded number at a time.

The vendor has no batch endpoint: keys collected in one tick are fetched
together, concurrently but bounded, each key getting its own result or its own
error. Built per request (aiodataloader binds the running event loop when
constructed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from aiodataloader import DataLoader

from gateway.cache import consume_outcome

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loader(DataLoader[K, V]):
    """Each key loaded once per request; a tick's keys fetched `limit` at a time."""

    def __init__(self, fetch: Callable[[K], Awaitable[V]], *, limit: int) -> None:
        # `fetch` must not hold this loader: a loader reachable from its own batch
        # function is a reference cycle, and so is all it loaded, until the GC runs.
        super().__init__(
            batch_load_fn=_batches(fetch, limit),  # type: ignore[arg-type]
            max_batch_size=None,
            loop=asyncio.get_running_loop(),  # get_event_loop() costs more, and warns outside one
        )

    def load(self, key: K) -> asyncio.Future[V]:
        """Start loading `key` (batched with the other keys of this tick)."""
        future: asyncio.Future[V] = super().load(key)
        # A load started ahead of need (see resolvers.customers) may end unawaited.
        future.add_done_callback(consume_outcome)
        return future


def _batches(
    fetch: Callable[[K], Awaitable[V]], limit: int
) -> Callable[[list[K]], Awaitable[list[V | Exception]]]:
    async def load_batch(keys: list[K]) -> list[V | Exception]:
        slots = asyncio.Semaphore(limit)

        async def bounded(key: K) -> V:
            async with slots:
                return await fetch(key)

        # One key's failure is that key's result, never its siblings'.
        outcomes = await asyncio.gather(*(bounded(key) for key in keys), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome
        return outcomes  # type: ignore[return-value]

    return load_batch
