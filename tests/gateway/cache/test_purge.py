import asyncio
import contextlib
import time

import pytest

from bench.redis_server import RedisServer
from gateway.cache import Purged, PurgeIncomplete, PurgeTarget
from gateway.cache._purge import Purges
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
    index = keys.key("index", "promotion", "469", "7")
    for entry in entries:
        await fleet.redis.set(entry, b"x", px=60_000)
    await fleet.redis.sadd(index, *entries, keys.key("promotion", "expired", "469", "7"))
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
        assert await fleet.redis.scard(index) == 0
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
