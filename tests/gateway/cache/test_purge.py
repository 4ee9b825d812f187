import asyncio
import contextlib
import time

import pytest

from bench.redis_server import RedisServer
from gateway.cache import Purged, PurgeIncomplete, PurgeTarget
from gateway.cache._purge import PurgeLog, Purges
from gateway.cache._shared import INDEX
from gateway.fleet import Fleet
from tests.conftest import settings_for


def test_a_target_names_a_promotion_a_program_or_everything() -> None:
    promotion, program, everything = (
        PurgeTarget("469", "7"),
        PurgeTarget("469"),
        PurgeTarget(),
    )
    assert promotion.names("469", "7")
    assert not promotion.names("469", "8")
    assert program.names("469", "8")
    assert not program.names("470", "7")
    assert everything.names("1", "2")
    assert [t.index for t in (promotion, program, everything)] == [
        ("promotion", "469", "7"),
        ("program", "469"),
        ("all",),
    ]
    with pytest.raises(ValueError, match="with its program"):
        PurgeTarget(None, "7")


@pytest.mark.parametrize("message", [b"", b"[]", b'{"programId": 5}', b'{"promotionId": "7"}'])
def test_a_message_that_is_not_a_target_is_ignored(message: bytes) -> None:
    assert PurgeTarget.from_json(message) is None


def test_a_target_travels_as_json() -> None:
    target = PurgeTarget("469", "7")
    assert PurgeTarget.from_json(target.to_json()) == target


def fleet_on(url: str) -> Fleet:
    settings = settings_for(
        "http://127.0.0.1:1", redis_url=url, redis_key_prefix=f"purge-{time.monotonic_ns()}"
    )
    fleet = Fleet.from_settings(settings)
    assert fleet is not None
    return fleet


async def test_a_purge_deletes_what_its_index_lists_and_tells_every_listener(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    keys = fleet.keys
    entries = [keys.key("promotion", "scope", "469", "7"), keys.key("page", "scope", "abc")]
    index = keys.key(INDEX, "promotion", "469", "7")
    for entry in entries:
        await fleet.redis.set(entry, b"x", px=60_000)
    listed = [*entries, keys.key("promotion", "expired", "469", "7")]
    await fleet.redis.zadd(index, {member: 4_000_000_000_000 for member in listed})
    heard: list[PurgeTarget] = []

    def remember(target: PurgeTarget) -> int:
        heard.append(target)
        return 0

    listener = asyncio.create_task(Purges(fleet, remember).listen())
    try:
        await asyncio.sleep(0.3)  # subscribed
        purged = await Purges(fleet, lambda _target: 1).purge(PurgeTarget("469", "7"))
        assert purged == Purged(local=1, shared=2)
        assert await fleet.redis.exists(*entries) == 0
        assert await fleet.redis.zcard(index) == 0
        for _ in range(50):
            if heard:
                break
            await asyncio.sleep(0.02)
        assert heard == [PurgeTarget("469", "7")]
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await fleet.aclose()


async def test_a_purge_without_redis_purges_here_and_says_it_is_incomplete() -> None:
    with RedisServer() as server:
        fleet = fleet_on(server.url)
    dropped: list[PurgeTarget] = []

    def drop(target: PurgeTarget) -> int:
        dropped.append(target)
        return 3

    try:
        with pytest.raises(PurgeIncomplete) as raised:
            await Purges(fleet, drop).purge(PurgeTarget())
    finally:
        await fleet.aclose()
    assert raised.value.details == {"purgedLocal": 3}
    assert dropped == [PurgeTarget()]


async def test_a_purge_of_an_index_larger_than_a_batch_deletes_every_entry(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    keys = fleet.keys
    entries = [keys.key("promotion", "scope", "469", str(n)) for n in range(1234)]
    index = keys.key(INDEX, "all")
    try:
        async with fleet.redis.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.set(entry, b"x", px=60_000)
            pipe.zadd(index, dict.fromkeys(entries, 4_000_000_000_000))
            await pipe.execute()
        purged = await Purges(fleet, lambda _target: 0).purge(PurgeTarget())
        assert purged == Purged(local=0, shared=1234)
        assert await fleet.redis.exists(*entries) == 0
        assert await fleet.redis.exists(index) == 0
    finally:
        await fleet.aclose()


def test_the_purge_log_names_the_purges_since_a_generation() -> None:
    purge_log = PurgeLog(remembered=2)
    start = purge_log.generation
    assert purge_log.since(start) == []
    purge_log.record(PurgeTarget("469"))
    assert purge_log.since(start) == [PurgeTarget("469")]
    purge_log.record(PurgeTarget())
    purge_log.record(PurgeTarget("470"))
    # The first purge since `start` is forgotten: whoever asks must assume the worst.
    assert purge_log.since(start) is None
    assert purge_log.since(start + 1) == [PurgeTarget(), PurgeTarget("470")]


async def test_a_listener_survives_an_error_in_what_it_calls(redis_server: RedisServer) -> None:
    fleet = fleet_on(redis_server.url)
    heard: list[PurgeTarget] = []

    def drop(target: PurgeTarget) -> int:
        heard.append(target)
        if len(heard) == 1:
            raise RuntimeError("a bug in the first drop")
        return 0

    listener = asyncio.create_task(Purges(fleet, drop).listen())
    try:
        channel = fleet.keys.channel("purge")
        for attempt in range(100):
            await fleet.redis.publish(channel, PurgeTarget(str(attempt)).to_json())
            await asyncio.sleep(0.05)
            if len(heard) >= 2:
                break
        assert len(heard) >= 2
        assert not listener.done()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await fleet.aclose()


class Listened:
    """What a purge listener did: the targets it dropped, and how often it ended the
    freshness of everything (on subscribing again)."""

    def __init__(self) -> None:
        self.heard: list[PurgeTarget] = []
        self.expired = 0

    def drop(self, target: PurgeTarget) -> int:
        self.heard.append(target)
        return 0

    def expire(self) -> int:
        self.expired += 1
        return 0

    async def hear_after_resubscribing(self, publisher: Fleet) -> None:
        """Once the listener has subscribed again (and so expired everything), a
        purge published on `publisher` reaches it."""
        channel = publisher.keys.channel("purge")
        for _ in range(100):
            await asyncio.sleep(0.05)
            if self.expired:
                await publisher.redis.publish(channel, PurgeTarget("469").to_json())
            if self.heard:
                break
        assert self.expired == 1
        assert self.heard == [PurgeTarget("469")]


async def test_a_listener_whose_connection_is_killed_subscribes_again_and_expires(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    listened = Listened()
    listener = asyncio.create_task(Purges(fleet, listened.drop, listened.expire).listen())
    try:
        await asyncio.sleep(0.3)  # subscribed
        assert await fleet.redis.client_kill_filter(_type="pubsub") >= 1
        await listened.hear_after_resubscribing(fleet)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await fleet.aclose()


class Blackhole:
    """A TCP relay to Redis that can go silent: the connections it holds then stay
    open and deliver nothing either way (a peer gone without a FIN, a dropped
    route); connections made after that are relayed again."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._silenced: set[asyncio.StreamWriter] = set()
        self._live: set[asyncio.StreamWriter] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/0"

    def silence(self) -> None:
        """Every connection open now goes silent, and stays open."""
        self._silenced |= self._live
        self._live.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        relay = asyncio.current_task()
        assert relay is not None
        self._relays.add(relay)
        try:
            await self._relay(reader, writer)
        finally:
            self._relays.discard(relay)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self._port)
        self._writers |= {writer, upstream_writer}
        self._live.add(writer)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    if writer in self._silenced:
                        continue  # swallowed: the peer hears nothing, and no FIN
                    sink.write(data)
                    await sink.drain()

        try:
            await asyncio.gather(pump(reader, upstream_writer), pump(upstream_reader, writer))
        finally:
            for each in (writer, upstream_writer):
                each.close()
                with contextlib.suppress(ConnectionError):
                    await each.wait_closed()

    async def aclose(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._relays:
            await asyncio.wait(set(self._relays))
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def test_a_listener_whose_connection_goes_silent_notices_and_subscribes_again(
    redis_server: RedisServer,
) -> None:
    blackhole = Blackhole(redis_server.port)
    fleet = fleet_on(await blackhole.start())
    publisher = fleet_on(redis_server.url)
    publisher.keys = fleet.keys
    listened = Listened()
    listener = asyncio.create_task(
        Purges(fleet, listened.drop, listened.expire, ping_every_s=0.2).listen()
    )
    channel = fleet.keys.channel("purge")
    try:
        for _ in range(100):  # subscribed, through the relay
            [(_channel, listeners)] = await publisher.redis.pubsub_numsub(channel)
            if listeners:
                break
            await asyncio.sleep(0.02)
        blackhole.silence()
        await publisher.redis.publish(channel, PurgeTarget("lost").to_json())
        # Noticed within a ping's wait, subscribed anew, and what the silent
        # connection missed is no longer fresh.
        await listened.hear_after_resubscribing(publisher)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await fleet.aclose()
        await publisher.aclose()
        await blackhole.aclose()
