import pytest

from gateway import errors
from gateway.deadline import Deadline
from gateway.token_bucket import Exhausted, TokenBucket
from gateway.upstream._rate_limit import UpstreamRateLimit
from tests.clock import Clock


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
