import asyncio
from typing import Any

import pytest
from redis.asyncio.client import Pipeline

from bench.processes import free_port
from bench.redis_server import RedisServer
from gateway.breaker import BreakerState
from gateway.fleet import Fleet, FleetUnavailable
from gateway.observability import Metrics
from tests.conftest import redis_commands, settings_for


def fleet_on(url: str, timeout_s: float = 1.0, metrics: Metrics | None = None) -> Fleet:
    settings = settings_for("http://127.0.0.1:1", redis_url=url, redis_timeout_ms=timeout_s * 1000)
    fleet = Fleet.from_settings(settings, metrics)
    assert fleet is not None
    return fleet


def get(fleet: Fleet, key: str) -> asyncio.Future[Any]:
    return fleet.pipelined("get", lambda pipe: pipe.get(key))


async def test_the_commands_of_one_tick_go_as_one_call_per_hundred(
    redis_server: RedisServer,
) -> None:
    metrics = Metrics()
    fleet = fleet_on(redis_server.url, metrics=metrics)
    key = fleet.keys.key("test", "tick")
    await fleet.redis.mset({f"{key}:{i}": str(i) for i in range(150)})
    try:
        replies = await asyncio.gather(*(get(fleet, f"{key}:{i}") for i in range(150)))
        assert replies == [str(i).encode() for i in range(150)]
        assert redis_commands(metrics, "get") == 2  # 100, then the other 50
        sizes = metrics.registry.get_sample_value("redis_pipeline_commands_sum", {"command": "get"})
        assert sizes == 150
        # The next tick is another pipeline.
        assert await get(fleet, f"{key}:7") == b"7"
        assert redis_commands(metrics, "get") == 3
    finally:
        await fleet.aclose()


async def test_an_error_reply_fails_only_the_command_it_answers(redis_server: RedisServer) -> None:
    fleet = fleet_on(redis_server.url)
    key = fleet.keys.key("test", "error-reply")
    await fleet.redis.rpush(f"{key}:list", b"x")
    await fleet.redis.set(f"{key}:plain", b"plain")
    try:
        before = await fleet.pipelined("incr", lambda pipe: pipe.incr(f"{key}:n"))
        wrong = fleet.pipelined("incr", lambda pipe: pipe.incr(f"{key}:list"))
        after = fleet.pipelined("incr", lambda pipe: pipe.incr(f"{key}:n"))
        plain = get(fleet, f"{key}:plain")
        with pytest.raises(FleetUnavailable, match="ResponseError"):
            await wrong
        assert (before, await after, await plain) == (1, 2, b"plain")
        assert fleet.breaker.state is BreakerState.CLOSED
    finally:
        await fleet.aclose()


async def test_a_caller_that_leaves_mid_batch_leaves_the_others_their_replies(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    key = fleet.keys.key("test", "leaving")
    await fleet.redis.set(f"{key}:a", b"a")
    await fleet.redis.set(f"{key}:b", b"b")
    try:
        # The pipeline's first command holds it on Redis for 0.3 s: mid-batch.
        blocked = fleet.pipelined("get", lambda pipe: pipe.blpop([f"{key}:empty"], 0.3))
        leaving = asyncio.ensure_future(get(fleet, f"{key}:a"))
        staying = get(fleet, f"{key}:b")
        await asyncio.sleep(0.1)
        leaving.cancel()
        assert await staying == b"b"
        assert await blocked is None
        assert leaving.cancelled()
        assert fleet.breaker.state is BreakerState.CLOSED
    finally:
        await fleet.aclose()


async def test_the_last_caller_leaving_gives_the_batch_up_without_counting_it_against_redis() -> (
    None
):
    metrics = Metrics()
    with RedisServer() as server:
        fleet = fleet_on(server.url, timeout_s=0.3, metrics=metrics)
        key = fleet.keys.key("test", "hung")
        await fleet.call("ping", lambda r: r.ping())
        server.pause()
        try:
            for _ in range(4):  # more than the breaker's 3 failures
                waits = [get(fleet, key) for _ in range(5)]
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.1):
                        await asyncio.gather(*waits)
                for wait in waits:
                    wait.cancel()
                await asyncio.sleep(0)
            await asyncio.sleep(0.5)  # past Redis's deadline: a batch still sent would fail
            assert fleet.breaker.state is BreakerState.CLOSED
            assert redis_commands(metrics, "get", "timeout") == 0
        finally:
            server.resume()
        assert await get(fleet, key) is None
        await fleet.aclose()


async def test_a_batch_redis_cannot_take_fails_every_caller_once() -> None:
    metrics = Metrics()
    fleet = fleet_on(f"redis://127.0.0.1:{free_port()}/0", metrics=metrics)
    try:
        outcomes = await asyncio.gather(
            *(get(fleet, f"k{i}") for i in range(20)), return_exceptions=True
        )
        assert all(isinstance(outcome, FleetUnavailable) for outcome in outcomes)
        assert redis_commands(metrics, "get", "error") == 1  # one call: one breaker verdict
        assert fleet.breaker.state is BreakerState.CLOSED
        for _ in range(2):
            with pytest.raises(FleetUnavailable):
                await get(fleet, "k")
        assert not fleet.available  # open: the next batch is not even tried
        outcomes = await asyncio.gather(
            *(get(fleet, f"k{i}") for i in range(20)), return_exceptions=True
        )
        assert all(isinstance(outcome, FleetUnavailable) for outcome in outcomes)
        assert redis_commands(metrics, "get", "skipped") == 1
    finally:
        await fleet.aclose()


async def test_closing_the_fleet_fails_the_batches_not_yet_answered(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    key = fleet.keys.key("test", "closing")
    in_flight = fleet.pipelined("get", lambda pipe: pipe.blpop([key], 2))
    await asyncio.sleep(0.05)
    unsent = get(fleet, key)
    await fleet.aclose()
    for waiting in (in_flight, unsent):
        with pytest.raises(FleetUnavailable):
            await waiting


async def test_a_queue_putting_two_commands_fails_its_batch_rather_than_hang(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    key = fleet.keys.key("test", "two")
    try:

        def queue_two(pipe: Pipeline) -> object:
            pipe.get(key)
            return pipe.get(key)

        two = fleet.pipelined("get", queue_two)
        one = get(fleet, key)
        for waiting in (two, one):
            with pytest.raises(RuntimeError, match="3 replies to 2 commands"):
                async with asyncio.timeout(2):
                    await waiting
    finally:
        await fleet.aclose()


async def test_closing_the_fleet_before_a_batch_starts_still_answers_its_callers(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url)
    waiting = get(fleet, fleet.keys.key("test", "never-started"))
    await asyncio.sleep(0)  # the tick ends: the batch's task is made, not yet run
    await fleet.aclose()  # cancelled before its first step
    with pytest.raises(FleetUnavailable):
        async with asyncio.timeout(2):
            await waiting
