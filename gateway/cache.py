"""A cross-request cache of upstream results, with single-flight loading.

Bounded in entries; each entry lives for the TTL or until its own deadline (say,
the moment a promotion starts or ends), whichever comes first. Only successes
are stored: a failed load is never cached. Concurrent misses on one key share
one load. Keys are built by the caller and must be scoped by credential.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cachetools import TLRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Given a value and the current time, the moment it must stop being served (or None).
Deadline = Callable[[V, float], float | None]


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    joins: int = 0


class ResultCache(Generic[K, V]):
    def __init__(
        self,
        *,
        ttl_s: float,
        max_entries: int,
        deadline: Deadline[V] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ttl_s = ttl_s
        self._deadline = deadline
        self._entries: TLRUCache[K, V] | None = None
        if ttl_s > 0 and max_entries > 0:
            self._entries = TLRUCache(maxsize=max_entries, ttu=self._expires_at, timer=clock)
        self._inflight: dict[K, asyncio.Future[V]] = {}
        self.stats = CacheStats()

    def __len__(self) -> int:
        return 0 if self._entries is None else len(self._entries)

    def _expires_at(self, _key: K, value: V, now: float) -> float:
        expires_at = now + self._ttl_s
        own = self._deadline(value, now) if self._deadline else None
        return expires_at if own is None else min(expires_at, own)

    async def get_or_load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        if self._entries is not None:
            try:
                value = self._entries[key]
            except KeyError:
                pass
            else:
                self.stats.hits += 1
                return value
        pending = self._inflight.get(key)
        if pending is None:
            self.stats.misses += 1
            pending = asyncio.ensure_future(self._load(key, load))
            # Retrieve the outcome even if every waiter went away, so a failure is
            # never reported as "exception was never retrieved".
            pending.add_done_callback(consume_outcome)
            self._inflight[key] = pending
        else:
            self.stats.joins += 1
        # One waiter being cancelled must not cancel the load the others share.
        return await asyncio.shield(pending)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await load()
            if self._entries is not None:
                self._entries[key] = value
            return value
        finally:
            del self._inflight[key]


def consume_outcome(future: asyncio.Future[Any]) -> None:
    """Mark a future's failure as seen, so an unawaited one is not logged as lost."""
    if not future.cancelled():
        future.exception()
