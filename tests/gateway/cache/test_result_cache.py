import asyncio
from collections.abc import Awaitable, Callable

import pytest

from gateway import errors
from gateway.cache._result_cache import ResultCache, Served
from gateway.deadline import Deadline
from tests.clock import Clock


def soon() -> Deadline:
    return Deadline.after(5)


def counting(value: int) -> tuple[list[Deadline], Callable[[Deadline, bool], Awaitable[int]]]:
    loads: list[Deadline] = []

    async def load(deadline: Deadline, _background: bool) -> int:
        loads.append(deadline)
        return value

    return loads, load


async def cached_then_aged(seconds: float) -> ResultCache[str, int]:
    """A cache (TTL 60 s, stale window 600 s) holding 1 under "k", `seconds` old."""
    clock = Clock(1000.0)
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10, stale_s=600, clock=clock)
    _, load = counting(1)
    await cache.get("k", load, soon())
    clock.now += seconds
    return cache


def failing_with(failure: Exception) -> Callable[[Deadline, bool], Awaitable[int]]:
    async def load(_deadline: Deadline, _background: bool) -> int:
        raise failure

    return load


async def test_an_entry_lives_for_the_ttl() -> None:
    clock = Clock(1000.0)
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10, clock=clock)
    loads, load = counting(42)

    assert (await cache.get("k", load, soon())).value == 42
    clock.now += 59
    assert (await cache.get("k", load, soon())).value == 42
    clock.now += 2
    assert (await cache.get("k", load, soon())).value == 42
    assert len(loads) == 2
    assert (cache.stats.hits, cache.stats.misses) == (1, 2)


def recording(events: list[str]) -> Callable[[str, int], None]:
    def record(event: str, count: int) -> None:
        events.extend([event] * count)

    return record


async def test_each_lookup_says_how_it_was_served() -> None:
    events: list[str] = []
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10, on_event=recording(events))

    async def slow(_deadline: Deadline, _background: bool) -> int:
        await asyncio.sleep(0.01)
        return 3

    first, second = await asyncio.gather(cache.get("k", slow, soon()), cache.get("k", slow, soon()))
    third = await cache.get("k", slow, soon())
    assert [first.event, second.event, third.event] == ["miss", "join", "hit"]
    assert events == ["miss", "join", "hit"]


async def test_an_entry_expires_at_its_own_deadline_first() -> None:
    clock = Clock(1000.0)
    cache: ResultCache[str, float] = ResultCache(
        ttl_s=60, max_entries=10, fresh_until=lambda value, _now: value, clock=clock
    )
    calls = 0

    async def load(_deadline: Deadline, _background: bool) -> float:
        nonlocal calls
        calls += 1
        return clock.now + 10  # e.g. the promotion ends in 10 s

    await cache.get("k", load, soon())
    clock.now += 9
    await cache.get("k", load, soon())
    clock.now += 2
    await cache.get("k", load, soon())
    assert calls == 2


async def test_errors_are_never_cached() -> None:
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10)
    outcomes: list[Exception | int] = [RuntimeError("down"), 7]

    async def load(_deadline: Deadline, _background: bool) -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with pytest.raises(RuntimeError):
        await cache.get("k", load, soon())
    assert (await cache.get("k", load, soon())).value == 7


async def test_concurrent_misses_share_one_load() -> None:
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10)
    started = 0

    async def load(_deadline: Deadline, _background: bool) -> int:
        nonlocal started
        started += 1
        await asyncio.sleep(0.01)
        return 1

    results = await asyncio.gather(*(cache.get("k", load, soon()) for _ in range(20)))
    assert [r.value for r in results] == [1] * 20
    assert started == 1
    assert cache.stats.joins == 19


async def test_a_cancelled_waiter_does_not_cancel_the_shared_load() -> None:
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10)

    async def load(_deadline: Deadline, _background: bool) -> int:
        await asyncio.sleep(0.02)
        return 5

    first = asyncio.ensure_future(cache.get("k", load, soon()))
    second = asyncio.ensure_future(cache.get("k", load, soon()))
    await asyncio.sleep(0)
    first.cancel()
    assert (await second).value == 5


async def test_a_waiter_gives_up_at_its_own_deadline() -> None:
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10)

    async def load(_deadline: Deadline, _background: bool) -> int:
        await asyncio.sleep(0.2)
        return 5

    patient = asyncio.ensure_future(cache.get("k", load, soon()))
    with pytest.raises(errors.UpstreamTimeout):
        await cache.get("k", load, Deadline.after(0.01))
    assert (await patient).value == 5


async def test_a_zero_ttl_caches_nothing_but_still_shares_loads() -> None:
    cache: ResultCache[str, int] = ResultCache(ttl_s=0, max_entries=10)
    count = 0

    async def load(_deadline: Deadline, _background: bool) -> int:
        nonlocal count
        count += 1
        return count

    assert (await cache.get("k", load, soon())).value == 1
    assert (await cache.get("k", load, soon())).value == 2
    assert len(cache) == 0


async def test_entries_are_bounded() -> None:
    cache: ResultCache[int, int] = ResultCache(ttl_s=60, max_entries=3)
    _, load = counting(0)

    for key in range(10):
        await cache.get(key, load, soon())
    assert len(cache) == 3


async def test_bytes_are_bounded_too() -> None:
    cache: ResultCache[int, int] = ResultCache(
        ttl_s=60, max_entries=100, max_bytes=1000, weigh=lambda _value: 300
    )
    _, load = counting(0)

    for key in range(10):
        await cache.get(key, load, soon())
    assert len(cache) == 3
    assert cache.size == 900


async def test_a_value_larger_than_the_cache_is_served_but_not_kept() -> None:
    cache: ResultCache[int, int] = ResultCache(
        ttl_s=60, max_entries=100, max_bytes=1000, weigh=lambda _value: 5000
    )
    _, load = counting(9)

    assert (await cache.get(1, load, soon())).value == 9
    assert len(cache) == 0


@pytest.mark.parametrize(
    "failure",
    [
        errors.UpstreamUnavailable("down"),
        errors.UpstreamTimeout("slow"),
        errors.UpstreamBadResponse("garbled"),
        errors.RateLimited("quota"),
    ],
)
async def test_a_failed_refresh_serves_the_stale_value_with_its_age(
    failure: errors.GatewayError,
) -> None:
    cache = await cached_then_aged(100)

    failing = failing_with(failure)
    assert await cache.get("k", failing, soon()) == Served(1, stale_age_s=100.0, event="stale")
    assert cache.stats.stale == 1


@pytest.mark.parametrize(
    "failure",
    [
        errors.PromotionNotFound("gone"),
        errors.Unauthenticated("revoked"),
        errors.Forbidden("not yours"),
    ],
)
async def test_answers_about_the_request_are_never_papered_over(
    failure: errors.GatewayError,
) -> None:
    cache = await cached_then_aged(100)

    failing = failing_with(failure)
    with pytest.raises(type(failure)):
        await cache.get("k", failing, soon())


async def test_nothing_is_served_past_the_stale_window() -> None:
    cache = await cached_then_aged(661)

    failing = failing_with(errors.UpstreamUnavailable("down"))
    with pytest.raises(errors.UpstreamUnavailable):
        await cache.get("k", failing, soon())


async def test_a_stale_value_stands_in_when_the_refresh_outlives_the_deadline() -> None:
    cache = await cached_then_aged(61)

    async def hanging(_deadline: Deadline, _background: bool) -> int:
        await asyncio.sleep(10)
        return 2

    assert await cache.get("k", hanging, Deadline.after(0.02)) == Served(
        1, stale_age_s=61.0, event="stale"
    )


async def test_a_hit_near_expiry_refreshes_in_the_background() -> None:
    clock = Clock(1000.0)
    cache: ResultCache[str, int] = ResultCache(
        ttl_s=60, max_entries=10, refresh_ahead_s=10, clock=clock
    )
    values = iter([1, 2])
    started = asyncio.Event()
    release = asyncio.Event()

    async def load(_deadline: Deadline, _background: bool) -> int:
        value = next(values)
        if value == 2:
            started.set()
            await release.wait()
        return value

    await cache.get("k", load, soon())
    clock.now += 55
    # Served at once from the entry while the refresh runs.
    assert (await cache.get("k", load, soon())).value == 1
    await started.wait()
    release.set()
    await asyncio.sleep(0.01)
    clock.now += 10  # past the first entry's freshness: the refreshed one answers
    assert (await cache.get("k", load, soon())).value == 2
    assert cache.stats.refreshes == 1


async def test_a_fresh_value_is_there_without_waiting() -> None:
    clock = Clock(1000.0)
    events: list[str] = []
    cache: ResultCache[str, int] = ResultCache(
        ttl_s=60, max_entries=10, refresh_ahead_s=10, clock=clock, on_event=recording(events)
    )
    _, load = counting(7)
    assert cache.fresh("k") is None  # nothing yet: `get` loads it
    await cache.get("k", load, soon())
    assert cache.fresh("k") == 7
    assert events == ["miss"]  # a look is not a hit until the value is served
    cache.count_hits(1)
    assert events == ["miss", "hit"]
    clock.now += 51
    # Due for a refresh: `get` must see this lookup to start one.
    assert cache.fresh("k") is None
    clock.now += 60
    assert cache.fresh("k") is None  # expired
    assert cache.stats.hits == 1
    cache.count_hits(3)  # a list's values, served together
    assert (events[-3:], cache.stats.hits) == (["hit"] * 3, 4)


async def test_nothing_is_fresh_in_a_cache_that_keeps_nothing() -> None:
    cache: ResultCache[str, int] = ResultCache(ttl_s=0, max_entries=10)
    _, load = counting(7)
    await cache.get("k", load, soon())
    assert cache.fresh("k") is None


async def test_an_expired_entry_is_loaded_again_and_still_stands_in_for_a_failure() -> None:
    cache = await cached_then_aged(1)
    assert cache.expire() == 1
    assert cache.fresh("k") is None
    failed = await cache.get("k", failing_with(errors.UpstreamUnavailable("down")), soon())
    assert (failed.value, failed.event) == (1, "stale")
    loads, load = counting(2)
    assert (await cache.get("k", load, soon())).value == 2
    assert len(loads) == 1
