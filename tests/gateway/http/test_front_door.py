import asyncio
import hashlib
import uuid

import pytest
import redis.asyncio as redis

from bench.redis_server import RedisServer
from gateway import errors
from gateway.fleet import Fleet, FleetKeys
from gateway.http import ClientRateLimit
from gateway.observability import Metrics
from tests.conftest import redis_commands, settings_for


async def test_redis_never_sees_a_client_address_nor_its_plain_hash(
    redis_server: RedisServer,
) -> None:
    settings = settings_for(
        "http://127.0.0.1:1",
        redis_url=redis_server.url,
        redis_key_prefix=f"t-{uuid.uuid4().hex[:8]}",
    )
    fleet = Fleet.from_settings(settings)
    assert fleet is not None
    limit = ClientRateLimit(600, fleet=fleet, key_secret=b"k" * 32)
    other = ClientRateLimit(600, fleet=fleet, key_secret=b"o" * 32)
    await limit.admit("203.0.113.7")
    client = redis.Redis.from_url(redis_server.url)
    try:
        keys = [
            key.decode() async for key in client.scan_iter(match=f"{settings.redis_key_prefix}:*")
        ]
    finally:
        await client.aclose()
    await fleet.aclose()
    plain = hashlib.sha256(b"203.0.113.7").hexdigest()[:32]
    assert keys == [fleet.keys.key("client_rate", limit.key("203.0.113.7"))]
    assert not any(plain in key or "203.0.113.7" in key for key in keys)
    assert limit.key("203.0.113.7") != other.key("203.0.113.7")  # keyed by the secret


def test_a_fleet_wide_client_limit_needs_a_key_secret() -> None:
    fleet = Fleet.from_settings(settings_for("http://127.0.0.1:1", redis_url="redis://127.0.0.1:1"))
    assert fleet is not None
    with pytest.raises(ValueError, match="key_secret"):
        ClientRateLimit(600, fleet=fleet)


def counted_fleet(url: str, keys: FleetKeys | None = None) -> tuple[Fleet, Metrics]:
    metrics = Metrics()
    settings = settings_for(
        "http://127.0.0.1:1",
        redis_url=url,
        redis_key_prefix=f"t-{uuid.uuid4().hex[:8]}",
        redis_timeout_ms=10_000,  # about what is admitted, not speed
    )
    fleet = Fleet.from_settings(settings, metrics=metrics)
    assert fleet is not None
    if keys is not None:
        fleet.keys = keys  # another replica of the same gateway
    return fleet, metrics


def scripts_run(metrics: Metrics) -> float:
    return redis_commands(metrics, "client_rate")


async def test_far_from_the_limit_a_client_asks_redis_for_batches_not_per_request(
    redis_server: RedisServer,
) -> None:
    fleet, metrics = counted_fleet(redis_server.url)
    # A clock that stands still: the credit never expires, so the count is exact.
    limit = ClientRateLimit(60_000, fleet=fleet, key_secret=b"k" * 32, clock=lambda: 100.0)
    for _ in range(200):
        await limit.admit("203.0.113.7")
    # Batches sized to the demand: 1, 2, 4, ... 128 tokens.
    assert scripts_run(metrics) == 8
    await fleet.aclose()


async def test_near_a_small_limit_every_request_asks_redis(redis_server: RedisServer) -> None:
    fleet, metrics = counted_fleet(redis_server.url)
    # Bursts of 6: batches of one token, each request admitted by the fleet's bucket.
    limit = ClientRateLimit(60, fleet=fleet, key_secret=b"k" * 32, clock=lambda: 100.0)
    for _ in range(6):
        await limit.admit("203.0.113.7")
    with pytest.raises(errors.RateLimited) as refused:
        await limit.admit("203.0.113.7")
    assert scripts_run(metrics) == 7
    assert refused.value.details == {
        "limit": "clientRequestsPerMinute",
        "max": 60,
        "actual": 7,
        "burst": 6,
        "retryAfter": 1,
    }
    await fleet.aclose()


async def test_concurrent_requests_of_a_client_share_the_take_in_flight(
    redis_server: RedisServer,
) -> None:
    fleet, metrics = counted_fleet(redis_server.url)
    limit = ClientRateLimit(60_000, fleet=fleet, key_secret=b"k" * 32, clock=lambda: 100.0)
    await asyncio.gather(*(limit.admit("203.0.113.7") for _ in range(50)))
    # The first request's token, then one batch for the 49 that waited for it.
    assert scripts_run(metrics) == 2
    await fleet.aclose()


async def test_two_replicas_never_admit_more_than_the_fleet_limit_in_a_burst(
    redis_server: RedisServer,
) -> None:
    one, _ = counted_fleet(redis_server.url)
    other, _ = counted_fleet(redis_server.url, keys=one.keys)
    # 600 a minute: bursts of 60, 10 a second, batches of up to 15 tokens.
    replicas = [ClientRateLimit(600, fleet=f, key_secret=b"k" * 32) for f in (one, other)]
    seconds, micros = await one.redis.time()
    started = int(seconds) + int(micros) / 1_000_000

    async def request(limit: ClientRateLimit) -> bool:
        try:
            await limit.admit("203.0.113.7")
        except errors.RateLimited:
            return False
        return True

    admitted = 0
    for _ in range(6):  # waves of concurrent requests, alternating replicas
        wave = await asyncio.gather(*(request(replicas[i % 2]) for i in range(40)))
        admitted += sum(wave)
    seconds, micros = await one.redis.time()
    elapsed_s = int(seconds) + int(micros) / 1_000_000 - started
    assert admitted <= 60 + 10 * elapsed_s
    # Credit held or dropped costs a few tokens at most (a replica's batch, the hold).
    assert admitted >= 25
    await one.aclose()
    await other.aclose()
