import asyncio
import time

import pytest
import redis.asyncio as redis

from bench.redis_server import RedisServer
from gateway.breaker import BreakerState
from gateway.fleet import Fleet, FleetKeys, FleetUnavailable
from gateway.observability import Metrics
from gateway.settings import Settings
from tests.conftest import redis_commands, settings_for


def fleet_on(url: str, timeout_s: float = 0.1, metrics: Metrics | None = None) -> Fleet:
    settings = settings_for("http://127.0.0.1:1", redis_url=url, redis_timeout_ms=timeout_s * 1000)
    fleet = Fleet.from_settings(settings, metrics)
    assert fleet is not None
    return fleet


def test_no_redis_url_means_no_fleet() -> None:
    assert Fleet.from_settings(settings_for("http://127.0.0.1:1")) is None


def test_keys_are_namespaced_versioned_and_quote_their_parts() -> None:
    keys = FleetKeys("acme-gateway")
    assert keys.key("promotion", "scope", "p:1", "{x}") == (
        "acme-gateway:v1:promotion:scope:p%3A1:%7Bx%7D"
    )
    assert keys.channel("purge") == "acme-gateway:v1:channel:purge"


async def test_a_command_runs_and_is_counted(redis_server: RedisServer) -> None:
    metrics = Metrics()
    fleet = fleet_on(redis_server.url, metrics=metrics)
    key = fleet.keys.key("test", "ping")
    assert await fleet.call("set", lambda r: r.set(key, b"1", px=1000)) is True
    assert await fleet.call("get", lambda r: r.get(key)) == b"1"
    assert redis_commands(metrics, "get") == 1
    await fleet.aclose()


async def test_a_hung_redis_costs_at_most_the_deadline_then_the_breaker_skips_it() -> None:
    metrics = Metrics()
    with RedisServer() as server:
        fleet = fleet_on(server.url, timeout_s=0.1, metrics=metrics)
        await fleet.call("ping", lambda r: r.ping())
        server.pause()
        try:
            for _ in range(3):
                started = time.monotonic()
                with pytest.raises(FleetUnavailable, match="in time"):
                    await fleet.call("ping", lambda r: r.ping())
                assert time.monotonic() - started < 0.5
            assert not fleet.available
            started = time.monotonic()
            with pytest.raises(FleetUnavailable, match="breaker is open"):
                await fleet.call("ping", lambda r: r.ping())
            assert time.monotonic() - started < 0.05
        finally:
            server.resume()
        assert redis_commands(metrics, "ping", "skipped") == 1
        await fleet.aclose()


async def test_a_redis_gone_is_unavailable_and_back_once_it_returns() -> None:
    with RedisServer() as server:
        fleet = fleet_on(server.url)
        server.kill()
        with pytest.raises(FleetUnavailable):
            await fleet.call("ping", lambda r: r.ping())
        server.start()
        assert await fleet.call("ping", lambda r: r.ping()) is True
        await fleet.aclose()


async def test_an_error_reply_is_unavailable_not_a_crash(redis_server: RedisServer) -> None:
    fleet = fleet_on(redis_server.url)
    key = fleet.keys.key("test", "a-list")
    await fleet.call("setup", lambda r: r.rpush(key, b"x"))

    async def wrong_type(client: redis.Redis) -> object:
        return await client.incr(key)

    with pytest.raises(FleetUnavailable, match="ResponseError"):
        await fleet.call("incr", wrong_type)
    await fleet.call("cleanup", lambda r: r.delete(key))
    await fleet.aclose()


def test_redis_url_without_a_shared_cache_key_secret_refuses_to_start() -> None:
    from gateway.settings import SettingsError

    with pytest.raises(SettingsError, match="CACHE_KEY_SECRET is required with REDIS_URL"):
        Settings.from_env({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    settings = Settings.from_env(
        {"REDIS_URL": "rediss://user:pw@cache:6380/1", "CACHE_KEY_SECRET": "s" * 32}
    )
    assert settings.redis_url == "rediss://user:pw@cache:6380/1"
    assert "pw" not in repr(settings)


async def test_a_burst_beyond_the_pool_waits_for_connections_and_leaves_the_breaker_closed(
    redis_server: RedisServer,
) -> None:
    fleet = fleet_on(redis_server.url, timeout_s=2.0)
    key = fleet.keys.key("test", "burst")

    async def one(i: int) -> object:
        try:
            return await fleet.call("get", lambda r: r.get(f"{key}:{i}"))
        except FleetUnavailable as error:
            return error

    results = await asyncio.gather(*(one(i) for i in range(200)))
    assert fleet.breaker.state is BreakerState.CLOSED
    assert all(result is None for result in results)
    await fleet.aclose()


async def test_commands_queued_for_a_connection_do_not_open_the_breaker(
    redis_server: RedisServer,
) -> None:
    pool = redis.BlockingConnectionPool.from_url(redis_server.url, max_connections=1, timeout=5)
    fleet = Fleet(redis.Redis.from_pool(pool), FleetKeys("t"), timeout_s=0.2)
    key = fleet.keys.key("test", "queued")
    # One command holds the only connection past the others' deadline.
    holder = asyncio.create_task(fleet.call("blpop", lambda r: r.blpop([key], 1), timeout_s=3))
    await asyncio.sleep(0.05)
    for _ in range(3):  # 3 x 0.2 s, well within the holder's 1 s
        with pytest.raises(FleetUnavailable, match="no Redis connection free"):
            await fleet.call("get", lambda r: r.get(key))
    assert fleet.breaker.state is BreakerState.CLOSED
    assert await holder is None
    assert fleet.breaker.state is BreakerState.CLOSED
    await fleet.aclose()


async def test_a_broken_probe_does_not_leave_the_breaker_half_open_forever() -> None:
    now = [0.0]
    fleet = Fleet(
        redis.Redis.from_url("redis://127.0.0.1:1"),
        FleetKeys("t"),
        timeout_s=0.1,
        clock=lambda: now[0],
    )
    for _ in range(3):
        fleet.breaker.admit()
        fleet.breaker.record(failed=True)
    assert not fleet.available  # open
    now[0] += 10

    async def broken(_: redis.Redis) -> None:
        raise KeyError("bug in run")

    with pytest.raises(KeyError):
        await fleet.call("probe", broken)
    assert fleet.breaker.state is BreakerState.HALF_OPEN
    assert fleet.breaker.admit()  # the next probe is let through
    await fleet.aclose()


async def test_a_timeout_that_fires_late_in_a_busy_loop_is_not_counted_against_redis() -> None:
    metrics = Metrics()
    with RedisServer() as server:
        # A deadline of 400 ms: "late" is 100 ms past it, more than a loaded machine lags.
        fleet = fleet_on(server.url, timeout_s=0.4, metrics=metrics)
        await fleet.call("ping", lambda r: r.ping())
        loop = asyncio.get_running_loop()
        server.pause()  # no reply comes: each command times out
        try:
            for _ in range(3):
                # The process's own CPU holds the loop past the deadline: the timeout
                # fires 400 ms late, which says nothing about Redis.
                loop.call_soon(time.sleep, 0.8)
                with pytest.raises(FleetUnavailable, match="too busy"):
                    await fleet.call("ping", lambda r: r.ping())
            assert fleet.breaker.state is BreakerState.CLOSED  # three would have opened it
            # On time, the same timeouts are Redis's: three open the breaker.
            for _ in range(3):
                with pytest.raises(FleetUnavailable, match="in time"):
                    await fleet.call("ping", lambda r: r.ping())
            assert not fleet.available
        finally:
            server.resume()
        assert redis_commands(metrics, "ping", "late") == 3
        await fleet.aclose()
