"""A cross-request cache of upstream results, with single-flight loading.

Each entry is fresh for the TTL or until its own deadline (say, the moment a
promotion starts or ends), whichever comes first. After that it is kept for a
stale window: when the refresh fails because the upstream is failing (or the
caller's time runs out first), the stale value is served instead, with its age.
A fresh hit close to its expiry refreshes the entry in the background, so hot
keys never wait. Bounded in entries and in bytes. Only successes are stored:
a failed load is never cached. Concurrent misses on one key share one load.
Keys are built by the caller and must be scoped by credential.

With a second level (`SharedLevel`: Redis, shared by the replicas), a miss here
asks it before loading, and the load goes through its fleet-wide lease; what it
returns keeps the freshness it was stored with, and an entry it holds stale is
kept here too, to fall back on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cachetools import TLRUCache

from gateway import errors
from gateway.cache._shared import SharedLevel, Stored
from gateway.deadline import Deadline

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Given a value and the current time, the moment it must stop being fresh (or None).
FreshUntil = Callable[[V, float], float | None]
# Loads a value by the given deadline; the flag is set for a background refresh,
# which no request waits for.
Load = Callable[[Deadline, bool], Awaitable[V]]
# Told of lookups' events: one of CACHE_EVENTS, and how many lookups had it.
OnEvent = Callable[[str, int], None]
CACHE_EVENTS = ("hit", "miss", "join", "stale", "refresh")


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    joins: int = 0
    stale: int = 0
    refreshes: int = 0

    def record(self, event: str, count: int = 1) -> None:
        if event == "hit":
            self.hits += count
        elif event == "miss":
            self.misses += count
        elif event == "join":
            self.joins += count
        elif event == "stale":
            self.stale += count
        elif event == "refresh":
            self.refreshes += count


@dataclass(frozen=True, slots=True)
class Served(Generic[V]):
    value: V
    # Seconds since the value was fetched, when it was served past its freshness.
    stale_age_s: float | None = None
    # How it was served: hit, miss (this caller loaded it), join (another's load), stale.
    event: str = "hit"


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    stored_at: float
    fresh_until: float
    size: int


class ResultCache(Generic[K, V]):
    def __init__(
        self,
        *,
        ttl_s: float,
        max_entries: int,
        max_bytes: int | None = None,
        stale_s: float = 0.0,
        refresh_ahead_s: float = 0.0,
        refresh_budget_s: float = 10.0,
        fresh_until: FreshUntil[V] | None = None,
        weigh: Callable[[V], int] | None = None,
        clock: Callable[[], float] = time.time,
        on_event: OnEvent | None = None,
        shared: SharedLevel[K, V] | None = None,
        watch_purges: Callable[[], Callable[[K, V], bool]] | None = None,
    ) -> None:
        self._ttl_s = ttl_s
        # Called as a load starts; what it returns says whether a purge since then
        # named a value (which is then served but not kept, here or in Redis).
        self._watch_purges = watch_purges
        self._shared = shared
        self._stale_s = stale_s
        self._refresh_ahead_s = min(refresh_ahead_s, ttl_s / 2)
        self._refresh_budget_s = refresh_budget_s
        self._fresh_until = fresh_until
        self._weigh = weigh
        self._max_entries = max_entries
        self._clock = clock
        self._entries: TLRUCache[K, _Entry[V]] | None = None
        if ttl_s > 0 and max_entries > 0:
            self._entries = TLRUCache(
                maxsize=max_bytes if weigh and max_bytes else max_entries,
                ttu=self._expires_at,
                timer=clock,
                getsizeof=_entry_size if weigh and max_bytes else None,
            )
        self._inflight: dict[K, asyncio.Future[V]] = {}
        self._on_event = on_event
        self.stats = CacheStats()

    def __len__(self) -> int:
        return 0 if self._entries is None else len(self._entries)

    @property
    def caching(self) -> bool:
        """Does it keep values across loads (a TTL and room), or only share loads in flight?"""
        return self._entries is not None

    @property
    def size(self) -> int:
        """Entries, or bytes when the cache is bounded in bytes."""
        return 0 if self._entries is None else int(self._entries.currsize)

    def _expires_at(self, _key: K, entry: _Entry[V], _now: float) -> float:
        return entry.fresh_until + self._stale_s

    def fresh(self, key: K) -> V | None:
        """The value for `key` without waiting, if it is fresh and not yet due for a
        refresh; otherwise None, and `get` decides what to serve. Nothing is counted:
        whoever serves the value calls `count_hits`."""
        entry = self._entry(key)
        if entry is None or entry.fresh_until - self._clock() <= self._refresh_ahead_s:
            return None
        return entry.value

    def _entry(self, key: K) -> _Entry[V] | None:
        # Indexing: TLRUCache.get checks `key in self` first, and costs three times as much.
        if self._entries is None:
            return None
        try:
            return self._entries[key]
        except KeyError:
            return None

    def count_hits(self, count: int) -> None:
        """`count` values `fresh` returned were served."""
        self._count("hit", count)

    async def get(self, key: K, load: Load[V], deadline: Deadline) -> Served[V]:
        """The value for `key`: cached, loaded by `deadline`, or stale if the load fails."""
        entry = self._entry(key)
        now = self._clock()
        if entry is not None and now < entry.fresh_until:
            self._count("hit")
            if entry.fresh_until - now <= self._refresh_ahead_s and key not in self._inflight:
                self._count("refresh")
                self._start(
                    key,
                    load,
                    Deadline.after(self._refresh_budget_s),
                    background=True,
                    newer_than=entry.fresh_until,
                )
            return Served(entry.value)
        pending = self._inflight.get(key)
        if pending is None:
            self._count("miss")
            pending = self._start(key, load, deadline, background=False, newer_than=0.0)
            event = "miss"
        else:
            self._count("join")
            event = "join"
        try:
            # Each caller waits by its own deadline; one giving up (or being
            # cancelled) does not cancel the load the others share.
            async with asyncio.timeout_at(deadline.at):
                return Served(await asyncio.shield(pending), event=event)
        except TimeoutError:
            # The second level may have handed over a stale entry meanwhile.
            entry = entry or self._entry(key)
            if entry is not None:
                return self._stale(entry)
            raise errors.UpstreamTimeout(
                "The operation's time budget ran out before the upstream answered."
            ) from None
        except errors.UPSTREAM_FAILURES:
            entry = entry or self._entry(key)
            if entry is not None:
                return self._stale(entry)
            raise

    def _count(self, event: str, count: int = 1) -> None:
        self.stats.record(event, count)
        if self._on_event is not None:
            self._on_event(event, count)

    def _stale(self, entry: _Entry[V]) -> Served[V]:
        self._count("stale")
        return Served(entry.value, round(self._clock() - entry.stored_at, 3), "stale")

    def _start(
        self, key: K, load: Load[V], deadline: Deadline, *, background: bool, newer_than: float
    ) -> asyncio.Future[V]:
        pending = asyncio.ensure_future(self._load(key, load, deadline, background, newer_than))
        # Retrieve the outcome even if every waiter went away, so a failure is
        # never reported as "exception was never retrieved".
        pending.add_done_callback(consume_outcome)
        self._inflight[key] = pending
        return pending

    async def _load(
        self, key: K, load: Load[V], deadline: Deadline, background: bool, newer_than: float
    ) -> V:
        async def fetch(by: Deadline) -> Stored[V]:
            return self._stamp(await load(by, background))

        purged = self._watch_purges() if self._watch_purges is not None else None

        def storable(stored: Stored[V]) -> bool:
            return purged is None or not purged(key, stored.value)

        try:
            if self._shared is None:
                stored = await fetch(deadline)
            else:
                stored = await self._shared.load(
                    key,
                    fetch,
                    deadline,
                    newer_than=newer_than,
                    keep=lambda found: self._keep(key, found),
                    storable=storable,
                )
            if storable(stored):
                self._keep(key, stored)
            return stored.value
        finally:
            del self._inflight[key]

    def _stamp(self, value: V) -> Stored[V]:
        """`value` as fetched now: fresh for the TTL, or until its own deadline."""
        now = self._clock()
        fresh_until = now + self._ttl_s
        own = self._fresh_until(value, now) if self._fresh_until else None
        if own is not None:
            fresh_until = min(fresh_until, own)
        return Stored(value, now, fresh_until)

    def _keep(self, key: K, stored: Stored[V]) -> None:
        if self._entries is None:
            return
        size = self._weigh(stored.value) if self._weigh else 1
        entry = _Entry(stored.value, stored.fetched_at, stored.fresh_until, size)
        try:
            self._entries[key] = entry
        except ValueError:  # larger than the whole cache: not kept
            return
        while len(self._entries) > self._max_entries:
            self._entries.popitem()

    def expire(self) -> int:
        """End every entry's freshness now, keeping it to fall back on while the
        upstream fails; how many there were."""
        if self._entries is None:
            return 0
        now = self._clock()
        expired = 0
        for key in list(self._entries.keys()):
            entry = self._entry(key)
            if entry is not None and entry.fresh_until > now:
                self._entries[key] = _Entry(entry.value, entry.stored_at, now, entry.size)
                expired += 1
        return expired

    def drop(self, matches: Callable[[K, V], bool]) -> int:
        """Forget the entries `matches` picks (a purge); how many went."""
        if self._entries is None:
            return 0
        dropped = 0
        for key in list(self._entries.keys()):
            entry = self._entry(key)
            if entry is not None and matches(key, entry.value):
                self._entries.pop(key, None)
                dropped += 1
        return dropped


def _entry_size(entry: _Entry[Any]) -> int:
    return entry.size


def consume_outcome(future: asyncio.Future[Any]) -> None:
    """Mark a future's failure as seen, so an unawaited one is not logged as lost."""
    if not future.cancelled():
        future.exception()
