"""Purging cache entries for the whole fleet: one promotion (every credential's
entries of it, and the pages and customer answers that hold it), one program, or
everything.

The replica asked to purge drops its own first-level entries, deletes the shared
(Redis) entries listed in the target's purge index (a sorted set, read 500 members
at a time with `ZRANGE ... LIMIT`; for each batch one pipelined `UNLINK` per entry
and a `ZREM` of what it read: nothing scanned, no command long), and publishes the
target on the fleet's purge channel. Every replica listens there
(`Purges.listen`, a task of the app's lifespan) and drops its own entries. A
listener that lost Redis and subscribes again ends the freshness of its whole
first level, since it may have missed a purge meanwhile: the next lookups ask the
second level (or, once for the fleet, the upstream), and the entries stay only to
fall back on while the upstream fails. The listener pings Redis every few seconds,
so a connection that died silently is noticed and replaced.

`PurgeLog` remembers the recent purges of this replica, so that a load that began
before a purge does not store (and so undo it) what it fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from redis.asyncio.client import PubSub

from gateway import errors, jsonio
from gateway.cache._shared import INDEX
from gateway.fleet import Fleet, FleetUnavailable
from gateway.upstream import records

K = TypeVar("K")
V = TypeVar("V")

log = logging.getLogger("gateway.cache.purge")

CHANNEL = "purge"
# Index members read, and entries deleted, per round trip.
BATCH = 500
# Each round trip of a purge may take this long (an admin call, not a request's)...
PURGE_BATCH_S = 2.0
# ...and the whole purge this long.
PURGE_BUDGET_S = 30.0
# A listener that lost Redis tries again after this, doubling up to the most.
RECONNECT_FIRST_S = 0.1
RECONNECT_MAX_S = 2.0
# The listener pings this often, and gives its connection up when nothing came
# back for three times as long.
PING_EVERY_S = 5.0
# Purges remembered for the loads in flight (older loads store nothing).
REMEMBERED = 256


class PurgeIncomplete(errors.GatewayError):
    """The shared cache could not be purged (Redis unavailable); this replica's was."""

    code = "PURGE_INCOMPLETE"
    status = 503


@dataclass(frozen=True, slots=True)
class PurgeTarget:
    """A promotion (both ids), a program (its id only), or everything (neither)."""

    program_id: str | None = None
    promotion_id: str | None = None

    def __post_init__(self) -> None:
        if self.promotion_id is not None and self.program_id is None:
            raise ValueError("a promotion is named with its program")

    @property
    def index(self) -> tuple[str, ...]:
        """The purge index (`gateway.cache._shared`) listing the target's entries."""
        if self.program_id is None:
            return ("all",)
        if self.promotion_id is None:
            return ("program", self.program_id)
        return ("promotion", self.program_id, self.promotion_id)

    def names(self, program_id: str, promotion_id: str) -> bool:
        return (self.program_id is None or self.program_id == program_id) and (
            self.promotion_id is None or self.promotion_id == promotion_id
        )

    def names_page(self, program_filter: object, page: records.PromotionPage) -> bool:
        if self.program_id is None:
            return True
        if self.promotion_id is None and program_filter == self.program_id:
            return True
        return any(self.names(p.program_id, p.id) for p in page.promotions)

    def names_customer(self, page: records.CustomerPage) -> bool:
        if self.program_id is None:
            return True
        return any(self.names(p.program_id, p.promotion_id) for p in page.promotions)

    def to_json(self) -> bytes:
        return jsonio.dumps({"programId": self.program_id, "promotionId": self.promotion_id})

    @classmethod
    def from_json(cls, data: object) -> PurgeTarget | None:
        """The target a purge message names, or None if it is not one."""
        try:
            fields = jsonio.loads(data) if isinstance(data, bytes | str) else None
        except ValueError:
            return None
        if not isinstance(fields, dict):
            return None
        program_id, promotion_id = fields.get("programId"), fields.get("promotionId")
        if not all(v is None or isinstance(v, str) for v in (program_id, promotion_id)):
            return None
        try:
            return cls(program_id, promotion_id)
        except ValueError:
            return None


class PurgeLog:
    """The recent purges of this replica (asked here or heard from the fleet), each
    with a generation, one more than the one before."""

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self.generation = 0
        self._recent: deque[tuple[int, PurgeTarget]] = deque(maxlen=remembered)

    def record(self, target: PurgeTarget) -> None:
        self.generation += 1
        self._recent.append((self.generation, target))

    def since(self, generation: int) -> list[PurgeTarget] | None:
        """The purges after `generation`; None if some are no longer remembered."""
        if self.generation == generation:
            return []
        if not self._recent or self._recent[0][0] > generation + 1:
            return None
        return [target for seen, target in self._recent if seen > generation]

    def watch(
        self, names: Callable[[PurgeTarget, K, V], bool]
    ) -> Callable[[], Callable[[K, V], bool]]:
        """For a load starting when the returned function is called: a test of whether
        a purge since then named its value (`names` says whether a target names it)."""

        def start() -> Callable[[K, V], bool]:
            generation = self.generation

            def purged(key: K, value: V) -> bool:
                targets = self.since(generation)
                return targets is None or any(names(t, key, value) for t in targets)

            return purged

        return start


@dataclass(frozen=True, slots=True)
class Purged:
    """How many entries went: this replica's first level, and the shared level
    (None without a fleet)."""

    local: int
    shared: int | None


class Purges:
    def __init__(
        self,
        fleet: Fleet | None,
        drop: Callable[[PurgeTarget], int],
        expire: Callable[[], int] = lambda: 0,
        *,
        ping_every_s: float = PING_EVERY_S,
    ) -> None:
        self._fleet = fleet
        self._drop = drop
        self._expire = expire
        self._ping_every_s = ping_every_s

    async def purge(self, target: PurgeTarget) -> Purged:
        """Purge `target` here and for the fleet. Raises PurgeIncomplete when Redis
        could not be used (this replica's entries went all the same)."""
        local = self._drop(target)
        fleet = self._fleet
        if fleet is None:
            return Purged(local, None)
        try:
            shared = await self._purge_shared(fleet, target)
            await fleet.call(
                "purge_publish",
                lambda r: r.publish(fleet.keys.channel(CHANNEL), target.to_json()),
            )
        except FleetUnavailable as error:
            raise PurgeIncomplete(
                "The shared cache is unavailable: only this replica's entries were purged; retry.",
                details={"purgedLocal": local},
            ) from error
        return Purged(local, shared)

    @staticmethod
    async def _purge_shared(fleet: Fleet, target: PurgeTarget) -> int:
        index = fleet.keys.key(INDEX, *target.index)
        deleted = 0
        ends = time.monotonic() + PURGE_BUDGET_S
        while True:
            if time.monotonic() > ends:
                raise FleetUnavailable("purge: the shared entries took too long to delete")
            members = await fleet.call(
                "purge_members",
                lambda r: r.zrange(index, 0, BATCH - 1),
                timeout_s=PURGE_BATCH_S,
            )
            if not members:
                return deleted
            batch = [m if isinstance(m, bytes) else str(m).encode() for m in members]

            async def unlink(client: object, batch: list[bytes] = batch) -> list[int]:
                async with fleet.redis.pipeline(transaction=False) as pipe:
                    for key in batch:
                        pipe.unlink(key)
                    pipe.zrem(index, *batch)
                    outcome: list[int] = await pipe.execute()
                return outcome[:-1]

            deleted += sum(await fleet.call("purge_unlink", unlink, timeout_s=PURGE_BATCH_S))

    async def listen(self) -> None:
        """Drop the entries every purge names, until cancelled; reconnects with backoff."""
        fleet = self._fleet
        if fleet is None:
            return
        pause_s = RECONNECT_FIRST_S
        missed = False
        while True:
            pubsub = fleet.redis.pubsub()
            try:
                async with asyncio.timeout(max(fleet.timeout_s, 1.0)):
                    await pubsub.subscribe(fleet.keys.channel(CHANNEL))
                if missed:
                    expired = self._expire()
                    log.warning("purge channel back; %d local entries no longer fresh", expired)
                    missed = False
                pause_s = RECONNECT_FIRST_S
                await self._follow(pubsub, fleet.timeout_s)
            except Exception as error:  # whatever it was: log, wait, subscribe again
                missed = True
                log.warning("purge channel lost (%r); retrying in %.1f s", error, pause_s)
            finally:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(max(fleet.timeout_s, 1.0)):
                        await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(pause_s)
            pause_s = min(pause_s * 2, RECONNECT_MAX_S)

    async def _follow(self, pubsub: PubSub, timeout_s: float) -> None:
        """Drop what each message names; raise when the connection stops answering
        (a ping unanswered in time, or nothing heard for three pings)."""
        ping_every_s = self._ping_every_s
        heard_at = pinged_at = time.monotonic()
        while True:
            message = await pubsub.get_message(
                ignore_subscribe_messages=True, timeout=min(1.0, ping_every_s)
            )
            now = time.monotonic()
            if message is not None:
                heard_at = now
                if message.get("type") == "message":
                    target = PurgeTarget.from_json(message.get("data"))
                    if target is not None:
                        self._drop(target)
            if now - heard_at > 3 * ping_every_s:
                raise ConnectionError("the purge channel stopped answering pings")
            if now - pinged_at >= ping_every_s:
                pinged_at = now
                async with asyncio.timeout(max(timeout_s, 1.0)):
                    await pubsub.ping()
