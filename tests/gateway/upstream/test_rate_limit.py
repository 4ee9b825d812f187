import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as redis

from bench.redis_server import RedisServer
from gateway import errors
from gateway.deadline import Deadline
from gateway.fleet import Fleet
from gateway.token_bucket import Exhausted, TokenBucket
from gateway.upstream._rate_limit import UpstreamRateLimit, fleet_refill
from tests.clock import Clock
from tests.conftest import settings_for


def test_a_burst_is_allowed_then_waits_are_queued_in_order() -> None:
    bucket = TokenBucket(rate_per_s=10, capacity=3, clock=Clock())
    assert [bucket.reserve(1.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve(1.0) == pytest.approx(0.1)
    assert bucket.reserve(1.0) == pytest.approx(0.2)


def test_a_long_wait_fails_fast_with_retry_after_and_takes_nothing() -> None:
    clock = Clock()
    bucket = TokenBucket(rate_per_s=1, capacity=1, clock=clock)
    bucket.reserve(0)
    with pytest.raises(Exhausted) as raised:
        bucket.reserve(0.5)
    assert raised.value.wait_s == pytest.approx(1.0)
    clock.now += 1
    assert bucket.reserve(0) == 0.0


def test_a_429_empties_the_bucket_and_blocks_it_for_retry_after() -> None:
    clock = Clock()
    bucket = TokenBucket(rate_per_s=100, capacity=100, clock=clock)
    bucket.throttle(3.0)
    with pytest.raises(Exhausted) as raised:
        bucket.reserve(1.0)
    assert raised.value.wait_s == pytest.approx(3.0)
    clock.now += 3
    assert bucket.reserve(1.0) == 0.0


def test_no_sixty_second_window_exceeds_the_share() -> None:
    clock = Clock()
    limit = UpstreamRateLimit(calls_per_s=1000 / 60, max_wait_s=0, clock=clock)
    bucket = limit.bucket("tenant")
    granted = 0
    for _ in range(60 * 100):  # try every 10 ms for a minute
        try:
            bucket.reserve(0)
            granted += 1
        except Exhausted:
            pass
        clock.now += 0.01
    assert 950 <= granted <= 1000


def test_each_credential_has_its_own_bucket() -> None:
    limit = UpstreamRateLimit(calls_per_s=1, max_wait_s=0, clock=Clock())
    for _ in range(6):
        limit.bucket("a").reserve(0)
    with pytest.raises(Exhausted):
        limit.bucket("a").reserve(0)
    assert limit.bucket("b").reserve(0) == 0.0


async def test_an_exhausted_credential_is_rate_limited_with_retry_after() -> None:
    limit = UpstreamRateLimit(calls_per_s=1, max_wait_s=0, clock=Clock())
    for _ in range(6):
        await limit.acquire("a", Deadline.after(5))
    with pytest.raises(errors.RateLimited) as raised:
        await limit.acquire("a", Deadline.after(5))
    assert raised.value.extensions == {"code": "RATE_LIMITED", "retryAfter": 2}


async def test_every_refusal_is_reported() -> None:
    refusals: list[None] = []
    limit = UpstreamRateLimit(
        calls_per_s=1, max_wait_s=0, clock=Clock(), on_refusal=lambda: refusals.append(None)
    )
    for _ in range(6):
        await limit.acquire("a", Deadline.after(5))
    for _ in range(2):
        with pytest.raises(errors.RateLimited):
            await limit.acquire("a", Deadline.after(5))
    assert len(refusals) == 2


@asynccontextmanager
async def shared_limit(
    url: str,
    prefix: str,
    *,
    per_min: int,
    processes: int,
    timeout_ms: float = 200,
    max_wait_s: float = 0,
) -> AsyncIterator[UpstreamRateLimit]:
    """One replica's limit: the fleet's quota in the Redis at `url`, `processes` at most."""
    settings = settings_for(
        "http://127.0.0.1:1", redis_url=url, redis_key_prefix=prefix, redis_timeout_ms=timeout_ms
    )
    fleet = Fleet.from_settings(settings)
    assert fleet is not None
    yield UpstreamRateLimit(
        calls_per_s=per_min / 60 / processes,
        fleet_calls_per_s=per_min / 60,
        fleet=fleet,
        max_wait_s=max_wait_s,
    )
    await fleet.aclose()


async def granted(
    limit: UpstreamRateLimit, tries: int, *, background: bool = False, fingerprint: str = "tenant"
) -> int:
    count = 0
    for _ in range(tries):
        try:
            await limit.acquire(fingerprint, Deadline.after(5), background=background)
            count += 1
        except errors.RateLimited:
            pass
    return count


async def test_one_replica_alone_may_take_the_whole_fleets_burst(redis_server: RedisServer) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    async with (
        shared_limit(redis_server.url, prefix, per_min=600, processes=3) as one,
        shared_limit(redis_server.url, prefix, per_min=600, processes=3) as other,
    ):
        assert await granted(one, 80) == 60  # a tenth of the fleet's minute, not of a third
        assert await granted(other, 5) <= 1  # the fleet's bucket: nothing left but a refill


async def test_background_calls_leave_half_the_burst(redis_server: RedisServer) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    async with shared_limit(redis_server.url, prefix, per_min=600, processes=3) as limit:
        assert await granted(limit, 60, background=True) == 30
        assert await granted(limit, 30) == 30


async def test_without_redis_each_process_keeps_to_its_share_and_shares_again_after() -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    with RedisServer() as server:
        async with shared_limit(server.url, prefix, per_min=600, processes=3) as limit:
            assert await granted(limit, 5) == 5
            server.kill()
            # The fleet may just have used every token: this process's share (a third:
            # 3 a second) starts empty, and refills.
            assert await granted(limit, 10) == 0
            await asyncio.sleep(1.0)
            assert 2 <= await granted(limit, 10) <= 3
            server.start()
            await asyncio.sleep(1.1)  # Redis's breaker half-opens
            # Back on the shared bucket, which this process drained first: Redis never
            # saw the calls made on the local shares, so no burst right after an outage.
            assert await granted(limit, 20) == 0
            assert limit.shared is not None
            assert await server_ttl(server.url, limit.shared.key("tenant")) > 0


async def test_a_process_that_used_the_fleets_quota_finds_no_fresh_share_when_redis_goes() -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    with RedisServer() as server:
        async with shared_limit(server.url, prefix, per_min=600, processes=3) as limit:
            assert await granted(limit, 60) == 60  # the fleet's whole burst, through Redis
            server.kill()
            assert await granted(limit, 10) == 0


async def server_ttl(url: str, key: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        ttl: int = await client.pttl(key)
        return ttl
    finally:
        await client.aclose()


async def blip(server: RedisServer, limit: UpstreamRateLimit, fingerprint: str) -> None:
    """One call on `fingerprint` while Redis does not answer: it goes to the local share."""
    server.pause()
    try:
        with pytest.raises(errors.RateLimited):  # the local share starts empty
            await limit.acquire(fingerprint, Deadline.after(5))
    finally:
        server.resume()


async def test_a_redis_failure_on_one_credential_does_not_drain_another() -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    with RedisServer() as server:
        async with shared_limit(
            server.url, prefix, per_min=600, processes=3, timeout_ms=50
        ) as limit:
            await limit.acquire("x", Deadline.after(5))
            await blip(server, limit, "y")
            # x never left the shared bucket: its burst (60, one used, plus what refilled
            # meanwhile) is there, not drained.
            assert 58 <= await granted(limit, 80, fingerprint="x") <= 61


async def one_call_on_its_own_share(
    server: RedisServer, limit: UpstreamRateLimit, fingerprint: str
) -> None:
    """A call through Redis, then (Redis paused) one on the process's own share, then
    Redis back and its breaker closed again."""
    await limit.acquire(fingerprint, Deadline.after(5))
    server.pause()
    try:
        assert await granted(limit, 1, fingerprint=fingerprint) == 0  # its own share starts empty
        await asyncio.sleep(0.5)  # and refills at 3 a second
        assert await granted(limit, 1, fingerprint=fingerprint) == 1  # one call on its own share
    finally:
        server.resume()
    await asyncio.sleep(1.1)  # Redis's breaker half-opens, if it opened


async def test_a_blip_on_one_replica_does_not_refuse_another_while_tokens_remain() -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    with RedisServer() as server:
        async with (
            shared_limit(server.url, prefix, per_min=600, processes=3, timeout_ms=50) as one,
            shared_limit(server.url, prefix, per_min=600, processes=3, timeout_ms=50) as other,
        ):
            await one_call_on_its_own_share(server, one, "x")
            # one is back, charging the shared bucket for its one call and the other
            # replicas' time away (12 tokens): no drain of the whole burst (60).
            assert await granted(one, 1, fingerprint="x") == 1
            assert 40 <= await granted(other, 80, fingerprint="x") <= 60 - 3 - 12 + 12


async def test_a_queued_call_that_a_429_overtakes_is_refused_after_its_wait() -> None:
    limit = UpstreamRateLimit(calls_per_s=10, max_wait_s=1.0)
    for _ in range(60):
        limit.bucket("t").reserve(1.0)  # the burst (60) used up: the next call queues
    waiting = asyncio.create_task(limit.acquire("t", Deadline.after(5)))
    await asyncio.sleep(0.01)
    await limit.throttle("t", 30)  # the vendor said 429 meanwhile
    with pytest.raises(errors.RateLimited) as raised:
        await waiting
    assert raised.value.details["retryAfter"] >= 29


async def test_a_queued_call_is_refused_when_another_replica_hears_a_429_during_its_wait(
    redis_server: RedisServer,
) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    async with (
        shared_limit(redis_server.url, prefix, per_min=600, processes=3, max_wait_s=1) as one,
        shared_limit(redis_server.url, prefix, per_min=600, processes=3) as other,
    ):
        assert await granted(one, 60) == 60  # the fleet's burst: the next call queues
        waiting = asyncio.create_task(one.acquire("tenant", Deadline.after(5)))
        await asyncio.sleep(0.01)
        await other.throttle("tenant", 30)  # the vendor said 429 to the other replica
        with pytest.raises(errors.RateLimited) as raised:
            await waiting
    assert raised.value.details["retryAfter"] >= 29


async def test_a_share_that_loses_redis_starts_empty_but_not_blocked() -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    with RedisServer() as server:
        async with shared_limit(
            server.url, prefix, per_min=6000, processes=1, max_wait_s=1.0
        ) as limit:
            assert await limit._reserve("tenant", 1.0, background=False) == 0.0
            server.kill()
            # Empty: the first call on its own share waits one token's refill (about
            # 11 ms at 0.9 x 60/61 of 100 a second), not the longest queued wait (1 s).
            wait_s = await limit._reserve("tenant", 1.0, background=False)
            assert 0.005 < wait_s < 0.02


def test_a_fleets_refill_leaves_room_for_the_waits_queued_when_redis_goes() -> None:
    # Calls the shared bucket queued (up to the longest wait) and a share's first
    # calls may overlap: burst + refill x (60 s + that wait) stays within the minute.
    for max_wait_s in (0.0, 0.5, 1.0, 5.0):
        assert 0.1 + fleet_refill(max_wait_s) * (60 + max_wait_s) / 60 <= 1.0 + 1e-9
    assert fleet_refill(0.0) == 0.9


async def test_the_calls_of_a_burst_coming_back_to_redis_charge_the_own_share_once() -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    with RedisServer() as server:
        async with shared_limit(
            server.url, prefix, per_min=600, processes=3, timeout_ms=50
        ) as limit:
            await one_call_on_its_own_share(server, limit, "x")
            # Ten calls at once, in one pipeline: one carries the charge (the call made
            # alone, and the others' time away: about 13 tokens), not each of them.
            burst = await asyncio.gather(
                *(limit.acquire("x", Deadline.after(5)) for _ in range(10)),
                return_exceptions=True,
            )
            assert burst == [None] * 10
            # The burst (60) less the first call, the charge and the ten.
            assert 30 <= await granted(limit, 80, fingerprint="x") <= 60 - 1 - 13 - 10 + 5
