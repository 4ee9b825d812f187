"""The second cache level: one Redis for every replica, and a lease so that the
fleet makes one upstream call per missing entry.

A first-level miss asks Redis (one GET). A fresh entry there is served at once. On
a miss, the replica takes the entry's lease (`SET lease token NX PX`): the holder
calls the upstream, writes the entry (`SET PX`, its TTL the end of the stale
window) and gives the lease back with a compare-and-delete script (only its own
token). The others poll the entry, a little less often each time, until it lands,
the lease goes (the holder failed or died: one of them takes it over), or their
deadline comes (the cache above then serves stale if it can).

Each entry is also listed in purge indexes that `gateway.cache._purge` reads, so
a purge never scans: a sorted set per index, each member scored by when its entry
expires (Unix ms, Redis's clock). Adding to an index drops the members already
expired and makes the index live as long as its longest-lived entry, so an index
holds only live entries and goes with the last of them.

A value whose entry a purge named while it was being fetched (`storable` says so)
is served to whoever asked but written nowhere: the fill that started before the
purge must not undo it.

The commands of one event-loop tick go to Redis as one pipeline (`Fleet.pipelined`):
a cold nested query misses dozens of entries at once (a dataloader's batch), and
their GETs, then their lease takes, then the writes after the answers, each go as
one non-transactional pipeline: one round trip, one connection, one deadline and
one breaker verdict per batch rather than one per key, which under load missed
REDIS_TIMEOUT_MS and opened the breaker although Redis was fine. Not MGET:
multi-key commands across hash slots fail on Redis Cluster; pipelines do not. A
request whose own deadline runs out leaves its batch to the others.

Redis being away costs one command's deadline at most: any `FleetUnavailable`
and the replica goes on alone (calls the upstream itself, writes nothing).
Writing the entry and releasing the lease happen after the answer is returned,
so no request waits for them. A lease take whose reply never came may still
land (a paused Redis runs what it had read when it wakes), leaving a lease no
one holds: the replica gives it back once Redis answers again, so the others do
not wait out its life for a value no one is fetching.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from redis.asyncio.client import Pipeline

from gateway.cache._envelope import Envelope, pack, unpack
from gateway.deadline import Deadline
from gateway.fleet import Fleet, FleetUnavailable, Queue
from gateway.observability import Metrics

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

log = logging.getLogger("gateway.cache.shared")

# How often a waiter looks for the holder's entry: first after 10 ms, then 1.5
# times later each time, at most every 50 ms.
POLL_FIRST_S = 0.01
POLL_MAX_S = 0.05

# Deletes the lease only if it still holds our token (another may hold it by now).
RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# Lists an entry in a purge index (scored by when it expires, in ms), drops the
# members already expired, and makes the index live as long as its last entry.
ADD_TO_INDEX = """
local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[1]), ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIREAT', KEYS[1], last[2])
end
return 1
"""

# The purge indexes' kind of key (sorted sets; the plain sets before them were "index").
INDEX = "purge-index"

# A lease take that went unanswered is given back, in case it landed: first after
# this, then twice as late each time up to the most, for at most this long; done
# once Redis has answered twice this far apart.
RELEASE_RETRY_FIRST_S = 0.1
RELEASE_RETRY_MAX_S = 1.0
RELEASE_RETRY_FOR_S = 30.0
RELEASE_SETTLE_S = 0.2

# How long shutdown waits for the writes that follow answers before cancelling them.
CLOSE_WAIT_S = 1.0

SHARED_EVENTS = ("hit", "miss", "invalid", "unavailable", "lease_wait", "takeover")


@dataclass(frozen=True, slots=True)
class Stored(Generic[V]):
    """A value with when it was fetched and until when it is fresh (Unix seconds)."""

    value: V
    fetched_at: float
    fresh_until: float


class SharedLevel(Generic[K, V]):
    """The Redis level of one cache (`kind`: promotion, page, customer)."""

    def __init__(
        self,
        fleet: Fleet,
        kind: str,
        *,
        parts: Callable[[K], tuple[str, ...]],
        body: Callable[[V], bytes],
        read: Callable[[K, bytes], V],
        indexes: Callable[[K, V], Iterable[tuple[str, ...]]],
        stale_s: float,
        lease_s: float,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fleet = fleet
        self._kind = kind
        self._parts = parts
        self._body = body
        self._read = read
        self._indexes = indexes
        self._stale_s = stale_s
        self._lease_s = lease_s
        self._metrics = metrics
        self._clock = clock
        self._release = fleet.redis.register_script(RELEASE_LEASE)
        self._add_to_index = fleet.redis.register_script(ADD_TO_INDEX)
        self._writes: set[asyncio.Task[None]] = set()

    def key(self, key: K) -> str:
        """The entry's Redis key: no credential, customer or query text in it."""
        return self._fleet.keys.key(self._kind, *self._parts(key))

    async def load(
        self,
        key: K,
        fetch: Callable[[Deadline], Awaitable[Stored[V]]],
        deadline: Deadline,
        *,
        newer_than: float,
        keep: Callable[[Stored[V]], None],
        storable: Callable[[Stored[V]], bool] = lambda _stored: True,
    ) -> Stored[V]:
        """The fleet's entry if it is fresh (and fresher than `newer_than`); else the
        one `fetch` gets, once for the fleet. An entry past its freshness but within
        its stale window is handed to `keep` first, for the cache above to fall back on.
        What `fetch` got is written only if `storable` still says so at write time
        (no purge named it meanwhile)."""
        entry_key = self.key(key)
        try:
            found = await self._get(entry_key, key, deadline)
        except FleetUnavailable:
            self._count("unavailable")
            return await fetch(deadline)
        if found is not None and self._usable(found, newer_than):
            self._count("hit")
            return found
        self._count("miss")
        if found is not None:
            keep(found)
        return await self._fill(entry_key, key, fetch, deadline, newer_than, storable)

    def _usable(self, stored: Stored[V], newer_than: float) -> bool:
        return stored.fresh_until > max(self._clock(), newer_than)

    async def _call(self, command: str, queue: Queue, deadline: Deadline) -> Any:
        """The reply to the command `queue` puts on this tick's pipeline (one
        `fleet.call` for every command of the tick), within the smaller of
        REDIS_TIMEOUT_MS and the request's deadline. The request's running out
        raises TimeoutError, leaves the batch to the others and is not counted
        against Redis (its breaker); Redis's own deadline is (FleetUnavailable)."""
        remaining = deadline.remaining()
        if remaining <= 0:
            raise TimeoutError
        if remaining >= self._fleet.timeout_s:
            return await self._fleet.pipelined(command, queue)
        # The request's deadline gives up its own reply before Redis's would fire.
        async with asyncio.timeout(remaining):
            return await self._fleet.pipelined(command, queue)

    async def _get(self, entry_key: str, key: K, deadline: Deadline) -> Stored[V] | None:
        raw = await self._call("cache_get", lambda pipe: pipe.get(entry_key), deadline)
        if raw is None:
            return None
        envelope = unpack(raw, self._clock())
        if envelope is None:
            self._count("invalid")
            return None
        try:
            value = self._read(key, envelope.body)
        except Exception:  # whatever the reader makes of a foreign body: no entry
            self._count("invalid")
            log.warning("a shared %s entry did not read; treated as missing", self._kind)
            return None
        return Stored(value, envelope.fetched_at, envelope.fresh_until)

    async def _fill(
        self,
        entry_key: str,
        key: K,
        fetch: Callable[[Deadline], Awaitable[Stored[V]]],
        deadline: Deadline,
        newer_than: float,
        storable: Callable[[Stored[V]], bool],
    ) -> Stored[V]:
        lease_key = self._fleet.keys.key("lease", self._kind, *self._parts(key))
        token = secrets.token_hex(16)
        waited_since: float | None = None
        pause_s = POLL_FIRST_S
        while True:
            lease_ms = max(1, math.ceil(min(deadline.remaining(), self._lease_s) * 1000))
            try:
                taken = await self._call("lease_take", _take(lease_key, token, lease_ms), deadline)
            except FleetUnavailable:
                self._later(self._give_back_unanswered(lease_key, token, lease_ms))
                return await fetch(deadline)
            except BaseException:  # the request's deadline, or cancelled
                self._later(self._give_back_unanswered(lease_key, token, lease_ms))
                raise
            if taken:
                if waited_since is not None:
                    # The holder may have written the entry and let go since we looked.
                    try:
                        landed = await self._landed(entry_key, key, deadline, newer_than)
                    except BaseException:  # the request's deadline, or cancelled
                        self._later(self._give_back(lease_key, token))
                        raise
                    self._waited(waited_since)
                    if landed is not None:
                        self._later(self._give_back(lease_key, token))
                        return landed
                    self._count("takeover")
                return await self._hold(entry_key, key, lease_key, token, fetch, deadline, storable)
            if waited_since is None:
                waited_since = time.perf_counter()
                self._count("lease_wait")
            remaining = deadline.remaining()
            if remaining <= 0:
                self._waited(waited_since)
                raise TimeoutError
            await asyncio.sleep(min(pause_s, remaining))
            pause_s = min(pause_s * 1.5, POLL_MAX_S)
            try:
                found = await self._get(entry_key, key, deadline)
            except FleetUnavailable:
                self._waited(waited_since)
                return await fetch(deadline)
            if found is not None and self._usable(found, newer_than):
                self._waited(waited_since)
                return found

    async def _landed(
        self, entry_key: str, key: K, deadline: Deadline, newer_than: float
    ) -> Stored[V] | None:
        """The entry, if it is there and usable now; None if not, or if Redis fails."""
        try:
            found = await self._get(entry_key, key, deadline)
        except FleetUnavailable:
            return None
        return found if found is not None and self._usable(found, newer_than) else None

    async def _hold(
        self,
        entry_key: str,
        key: K,
        lease_key: str,
        token: str,
        fetch: Callable[[Deadline], Awaitable[Stored[V]]],
        deadline: Deadline,
        storable: Callable[[Stored[V]], bool],
    ) -> Stored[V]:
        try:
            stored = await fetch(deadline)
        except BaseException:
            self._later(self._give_back(lease_key, token))
            raise
        self._later(self._write(entry_key, key, stored, lease_key, token, storable))
        return stored

    async def _write(
        self,
        entry_key: str,
        key: K,
        stored: Stored[V],
        lease_key: str,
        token: str,
        storable: Callable[[Stored[V]], bool],
    ) -> None:
        stale_until = stored.fresh_until + self._stale_s
        ttl_ms = math.ceil((stale_until - self._clock()) * 1000)
        try:
            if ttl_ms > 0 and storable(stored):
                envelope = Envelope(
                    stored.fetched_at, stored.fresh_until, stale_until, self._body(stored.value)
                )
                await self._fleet.pipelined(
                    "cache_set", lambda pipe: pipe.set(entry_key, pack(envelope), px=ttl_ms)
                )
                await self._index(entry_key, key, stored.value, ttl_ms)
        except FleetUnavailable:
            pass
        await self._give_back(lease_key, token)

    async def _index(self, entry_key: str, key: K, value: V, ttl_ms: int) -> None:
        index_keys = [self._fleet.keys.key(INDEX, *parts) for parts in self._indexes(key, value)]
        await asyncio.gather(
            *(
                self._fleet.script(
                    "cache_index", self._add_to_index, [index_key], [ttl_ms, entry_key]
                )
                for index_key in index_keys
            )
        )

    async def _give_back(self, lease_key: str, token: str) -> None:
        with contextlib.suppress(FleetUnavailable):  # else it expires by itself
            await self._fleet.script("lease_release", self._release, [lease_key], [token])

    async def _give_back_unanswered(self, lease_key: str, token: str, lease_ms: int) -> None:
        """Give back a lease whose take went unanswered: it may still land (a paused
        Redis runs what it had read when it wakes), and the others would then wait
        for a value no one is fetching until it expired. Tried until Redis has
        answered twice, RELEASE_SETTLE_S apart (by then a take it had read has run),
        or deleted it; at most for the lease's life after Redis's first answer."""
        answered_at: float | None = None
        pause_s = RELEASE_RETRY_FIRST_S
        started = time.monotonic()
        while time.monotonic() - started < RELEASE_RETRY_FOR_S:
            try:
                deleted = await self._fleet.script(
                    "lease_release", self._release, [lease_key], [token]
                )
            except FleetUnavailable:
                deleted = None
            now = time.monotonic()
            if deleted == 1:
                return
            if deleted is not None:
                if answered_at is None:
                    answered_at = now
                elif now - answered_at >= RELEASE_SETTLE_S:
                    return
                if now - answered_at > lease_ms / 1000:
                    return
            await asyncio.sleep(pause_s)
            pause_s = min(pause_s * 2, RELEASE_RETRY_MAX_S)

    async def aclose(self) -> None:
        """Let the writes that follow answers finish (briefly), then cancel the rest;
        before the fleet's connections close."""
        if not self._writes:
            return
        _done, pending = await asyncio.wait(set(self._writes), timeout=CLOSE_WAIT_S)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    def _later(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        task.add_done_callback(_consume)

    def _count(self, event: str) -> None:
        if self._metrics is not None:
            self._metrics.shared_cache_events.labels(self._kind, event).inc()

    def _waited(self, since: float) -> None:
        if self._metrics is not None:
            self._metrics.lease_wait_seconds.labels(self._kind).observe(time.perf_counter() - since)


def _take(lease_key: str, token: str, lease_ms: int) -> Queue:
    def take(pipe: Pipeline) -> object:
        return pipe.set(lease_key, token, nx=True, px=lease_ms)

    return take


def _consume(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a shared cache write failed: %r", task.exception())
