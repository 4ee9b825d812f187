"""The shared buckets' Lua scripts, run by a real redis-server."""

import asyncio
import uuid

import pytest

from bench.redis_server import RedisServer
from gateway.fleet import Fleet, SharedBuckets
from gateway.observability import Metrics
from gateway.token_bucket import Exhausted
from tests.conftest import redis_commands, settings_for


def fleet_on(url: str, timeout_ms: float = 100, metrics: Metrics | None = None) -> Fleet:
    prefix = f"test-{uuid.uuid4().hex[:8]}"  # each test its own namespace
    settings = settings_for(
        "http://127.0.0.1:1", redis_url=url, redis_key_prefix=prefix, redis_timeout_ms=timeout_ms
    )
    fleet = Fleet.from_settings(settings, metrics)
    assert fleet is not None
    return fleet


async def redis_micros(fleet: Fleet) -> int:
    seconds, micros = await fleet.redis.time()
    return int(seconds) * 1_000_000 + int(micros)


async def test_concurrent_callers_on_several_connections_never_take_more_than_the_burst(
    redis_server: RedisServer,
) -> None:
    # A generous deadline: this is about atomicity, not speed (a loaded machine may
    # take a while to open the connections).
    replicas = [fleet_on(redis_server.url, timeout_ms=10_000) for _ in range(4)]
    for fleet in replicas[1:]:
        fleet.keys = replicas[0].keys  # one namespace: four replicas of one gateway
    buckets = [SharedBuckets(f, "quota", rate_per_s=0.01, capacity=10) for f in replicas]

    async def one(bucket: SharedBuckets) -> bool:
        try:
            await bucket.reserve("credential", 0)
        except Exhausted:
            return False
        return True

    admitted = await asyncio.gather(*(one(buckets[i % 4]) for i in range(200)))
    assert sum(admitted) == 10
    for fleet in replicas:
        await fleet.aclose()


async def test_waits_are_reserved_in_order_on_redis_clock_and_long_ones_take_nothing(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    bucket = SharedBuckets(fleet, "quota", rate_per_s=10, capacity=2)
    before = await redis_micros(fleet)
    waits = [await bucket.reserve("c", 1.0) for _ in range(4)]
    after = await redis_micros(fleet)
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] == pytest.approx(0.1, abs=0.02)
    assert waits[3] == pytest.approx(0.2, abs=0.02)
    with pytest.raises(Exhausted) as refused:
        await bucket.reserve("c", 0.05)
    assert refused.value.wait_s == pytest.approx(0.3, abs=0.02)
    # The state is Redis's clock (TIME) in microseconds, not ours: four calls moved the
    # theoretical arrival time four intervals past the time Redis read.
    tat = int(await fleet.redis.hget(bucket.key("c"), "tat") or b"0")
    assert before + 400_000 <= tat <= after + 400_000
    await fleet.aclose()


async def test_every_write_sets_the_ttl_in_the_same_script(redis_server: RedisServer) -> None:
    fleet = fleet_on(redis_server.url)
    bucket = SharedBuckets(fleet, "quota", rate_per_s=10, capacity=5)
    await bucket.reserve("c", 0)
    ttl_ms = await fleet.redis.pttl(bucket.key("c"))
    assert 0 < ttl_ms <= 1_000 + 600  # until the bucket is full again, plus a second
    await bucket.throttle("c", 30)
    ttl_ms = await fleet.redis.pttl(bucket.key("c"))
    assert 30_000 < ttl_ms <= 31_100
    await fleet.aclose()


async def test_a_pause_stops_every_replica_until_it_ends(redis_server: RedisServer) -> None:
    one, other = fleet_on(redis_server.url), fleet_on(redis_server.url)
    other.keys = one.keys
    mine = SharedBuckets(one, "quota", rate_per_s=100, capacity=100)
    theirs = SharedBuckets(other, "quota", rate_per_s=100, capacity=100)
    await mine.throttle("c", 0.3)
    with pytest.raises(Exhausted) as refused:
        await theirs.reserve("c", 0.1)
    assert 0 < refused.value.wait_s <= 0.3  # what is left of the pause
    assert await theirs.reserve("other-credential", 0) == 0.0
    await asyncio.sleep(0.3)
    assert await theirs.reserve("c", 0.1) <= 0.1  # emptied, then refilling
    assert await theirs.paused_s("c") == 0.0
    await mine.throttle("c", 5)
    assert 4.5 < await theirs.paused_s("c") <= 5
    assert await theirs.paused_s("never-paused") == 0.0
    await one.aclose()
    await other.aclose()


async def test_a_background_call_leaves_the_reserve_to_requests(redis_server: RedisServer) -> None:
    fleet = fleet_on(redis_server.url)
    bucket = SharedBuckets(fleet, "quota", rate_per_s=0.01, capacity=10)
    for _ in range(5):
        assert await bucket.reserve("c", 0, keep=5) == 0.0
    with pytest.raises(Exhausted):
        await bucket.reserve("c", 0, keep=5)
    for _ in range(5):
        assert await bucket.reserve("c", 0) == 0.0  # what requests still find
    await fleet.aclose()


async def test_a_restart_drain_empties_a_missing_bucket_and_owes_time(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    bucket = SharedBuckets(fleet, "quota", rate_per_s=10, capacity=5)
    drain_s = bucket.drain_s(owed_s=0.5)
    wait_s = await bucket.reserve("c", 2.0, restart_drain_s=drain_s)  # no key: drained
    assert wait_s == pytest.approx(0.6, abs=0.02)  # empty, half a second owed, one interval
    assert await bucket.reserve("d", 0) == 0.0
    assert await bucket.reserve("d", 0, restart_drain_s=drain_s) == 0.0  # the key is there
    await fleet.aclose()


async def test_a_charge_moves_the_bucket_on_by_as_many_intervals(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    bucket = SharedBuckets(fleet, "quota", rate_per_s=10, capacity=5)
    # Three calls made without the bucket, then this one: the burst (5) less four.
    assert await bucket.reserve("c", 0, charge=3) == 0.0
    assert await bucket.reserve("c", 0) == 0.0
    with pytest.raises(Exhausted):
        await bucket.reserve("c", 0)
    await fleet.aclose()


async def test_a_pause_keeps_the_buckets_grace(redis_server: RedisServer) -> None:
    fleet = fleet_on(redis_server.url)
    bucket = SharedBuckets(fleet, "quota", rate_per_s=10, capacity=5, grace_s=60)
    await bucket.reserve("c", 0)
    await bucket.throttle("c", 5)
    # Whichever script wrote it last, the key outlives a full bucket by the grace.
    assert await fleet.redis.pttl(bucket.key("c")) > 60_000
    await fleet.aclose()


async def test_a_bucket_key_holding_garbage_is_unavailable_or_full_never_a_crash(
    redis_server: RedisServer,
) -> None:
    from gateway.fleet import FleetUnavailable

    fleet = fleet_on(redis_server.url)
    bucket = SharedBuckets(fleet, "quota", rate_per_s=10, capacity=5)
    await fleet.redis.hset(bucket.key("c"), mapping={"tat": "garbage", "paused": "\x80"})
    assert await bucket.reserve("c", 0) == 0.0  # unreadable state reads as a full bucket
    await fleet.redis.delete(bucket.key("c"))
    await fleet.redis.set(bucket.key("c"), "not a hash")
    with pytest.raises(FleetUnavailable):
        await bucket.reserve("c", 0)
    await fleet.aclose()


async def test_a_restarted_redis_loads_the_script_again() -> None:
    with RedisServer() as server:
        fleet = fleet_on(server.url)
        bucket = SharedBuckets(fleet, "quota", rate_per_s=10, capacity=5)
        assert await bucket.reserve("c", 0) == 0.0
        server.restart()
        # The first command after the restart finds the old connection gone.
        from gateway.fleet import FleetUnavailable

        with pytest.raises(FleetUnavailable):
            await bucket.reserve("c", 0)
        assert await bucket.reserve("c", 0) == 0.0  # NOSCRIPT: loaded again, then EVALSHA
        await fleet.aclose()


async def test_take_grants_a_batch_only_while_the_bucket_stays_half_full(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    # One token every 100 s: nothing refills during the test.
    bucket = SharedBuckets(fleet, "client_rate", rate_per_s=0.01, capacity=20)
    assert await bucket.take("c", 8, hold_s=0.5) == 8  # a full bucket: the batch
    assert await bucket.take("c", 8, hold_s=0.5) == 2  # down to half, no further
    singles = [await bucket.take("c", 8, hold_s=0.5) for _ in range(10)]
    assert singles == [1] * 10  # under half: one token a call, as `reserve` gives
    with pytest.raises(Exhausted) as refused:
        await bucket.take("c", 8, hold_s=0.5)
    assert refused.value.wait_s == pytest.approx(100, abs=1)  # the next token's time
    await fleet.aclose()


async def test_take_places_the_extra_tokens_after_their_hold(redis_server: RedisServer) -> None:
    fleet = fleet_on(redis_server.url)
    bucket = SharedBuckets(fleet, "client_rate", rate_per_s=10, capacity=20)
    before = await redis_micros(fleet)
    assert await bucket.take("c", 5, hold_s=0.5) == 5
    after = await redis_micros(fleet)
    # Four extra tokens, spent at most half a second from now: their slots start after
    # it (now + 0.5 s + 4 intervals), so the bucket does not lend them again as it refills.
    tat = int(await fleet.redis.hget(bucket.key("c"), "tat") or b"0")
    assert before + 900_000 <= tat <= after + 900_000
    ttl_ms = await fleet.redis.pttl(bucket.key("c"))
    assert 0 < ttl_ms <= 900 + 1_000 + 100  # the TTL set in the same script
    await fleet.aclose()


async def test_take_gives_nothing_during_a_pause(redis_server: RedisServer) -> None:
    fleet = fleet_on(redis_server.url)
    bucket = SharedBuckets(fleet, "client_rate", rate_per_s=100, capacity=100)
    await bucket.throttle("c", 30)
    with pytest.raises(Exhausted) as refused:
        await bucket.take("c", 10, hold_s=0.5)
    assert 1 < refused.value.wait_s <= 30
    await fleet.aclose()


async def test_two_replicas_taking_batches_never_get_more_than_the_bucket_holds(
    redis_server: RedisServer,
) -> None:
    replicas = [fleet_on(redis_server.url, timeout_ms=10_000) for _ in range(2)]
    replicas[1].keys = replicas[0].keys
    buckets = [SharedBuckets(f, "client_rate", rate_per_s=20, capacity=40) for f in replicas]
    started = await redis_micros(replicas[0])

    async def drain(bucket: SharedBuckets) -> int:
        taken = 0
        for _ in range(150):
            try:
                taken += await bucket.take("c", 8, hold_s=0.1)
            except Exhausted:
                await asyncio.sleep(0.005)
        return taken

    taken = await asyncio.gather(*(drain(b) for b in buckets for _ in range(3)))
    elapsed_s = (await redis_micros(replicas[0]) - started) / 1_000_000
    assert 40 <= sum(taken) <= 40 + 20 * elapsed_s
    for fleet in replicas:
        await fleet.aclose()


async def test_the_reservations_of_one_tick_go_to_redis_as_one_pipeline(
    redis_server: RedisServer,
) -> None:
    metrics = Metrics()
    fleet = fleet_on(redis_server.url, timeout_ms=1000, metrics=metrics)
    bucket = SharedBuckets(fleet, "quota", rate_per_s=1, capacity=20)
    outcomes = await asyncio.gather(
        *(bucket.reserve(f"credential-{n % 2}", 0) for n in range(30)), return_exceptions=True
    )
    # Two credentials' bursts of 20 each: every call admitted, in one round trip.
    assert outcomes == [0.0] * 30
    assert redis_commands(metrics, "quota") == 1
    await fleet.aclose()


async def test_scripts_run_by_sha_and_load_only_when_redis_does_not_know_them() -> None:
    with RedisServer() as server:
        fleet = fleet_on(server.url)
        bucket = SharedBuckets(fleet, "quota", rate_per_s=10, capacity=50)
        for _ in range(5):
            await bucket.reserve("c", 0)
        await fleet.redis.script_flush()  # forgotten, as after a restart
        for _ in range(5):
            await bucket.reserve("c", 0)
        stats = await fleet.redis.info("commandstats")
        # Loaded before its first use; then one EVALSHA per reservation, plus one
        # NOSCRIPT after the flush, answered by a load; redis-py's own pipelined
        # scripts would ask SCRIPT EXISTS before every pipeline.
        assert stats["cmdstat_evalsha"]["calls"] == 11
        assert stats["cmdstat_script|load"]["calls"] == 2
        assert "cmdstat_script|exists" not in stats
        await fleet.aclose()
