import asyncio

import pytest

from gateway.cache import ResultCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_an_entry_lives_for_the_ttl() -> None:
    clock = Clock()
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10, clock=clock)
    loads = []

    async def load() -> int:
        loads.append(1)
        return 42

    assert await cache.get_or_load("k", load) == 42
    clock.now += 59
    assert await cache.get_or_load("k", load) == 42
    clock.now += 2
    assert await cache.get_or_load("k", load) == 42
    assert len(loads) == 2
    assert (cache.stats.hits, cache.stats.misses) == (1, 2)


async def test_an_entry_expires_at_its_own_deadline_first() -> None:
    clock = Clock()
    cache: ResultCache[str, float] = ResultCache(
        ttl_s=60, max_entries=10, deadline=lambda value, _now: value, clock=clock
    )
    calls = 0

    async def load() -> float:
        nonlocal calls
        calls += 1
        return clock.now + 10  # e.g. the promotion ends in 10 s

    await cache.get_or_load("k", load)
    clock.now += 9
    await cache.get_or_load("k", load)
    clock.now += 2
    await cache.get_or_load("k", load)
    assert calls == 2


async def test_errors_are_never_cached() -> None:
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10)
    outcomes: list[Exception | int] = [RuntimeError("down"), 7]

    async def load() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with pytest.raises(RuntimeError):
        await cache.get_or_load("k", load)
    assert await cache.get_or_load("k", load) == 7


async def test_concurrent_misses_share_one_load() -> None:
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10)
    started = 0

    async def load() -> int:
        nonlocal started
        started += 1
        await asyncio.sleep(0.01)
        return 1

    results = await asyncio.gather(*(cache.get_or_load("k", load) for _ in range(20)))
    assert results == [1] * 20
    assert started == 1
    assert cache.stats.joins == 19


async def test_a_cancelled_waiter_does_not_cancel_the_shared_load() -> None:
    cache: ResultCache[str, int] = ResultCache(ttl_s=60, max_entries=10)

    async def load() -> int:
        await asyncio.sleep(0.02)
        return 5

    first = asyncio.ensure_future(cache.get_or_load("k", load))
    second = asyncio.ensure_future(cache.get_or_load("k", load))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == 5


async def test_a_zero_ttl_caches_nothing_but_still_shares_loads() -> None:
    cache: ResultCache[str, int] = ResultCache(ttl_s=0, max_entries=10)
    count = 0

    async def load() -> int:
        nonlocal count
        count += 1
        return count

    assert await cache.get_or_load("k", load) == 1
    assert await cache.get_or_load("k", load) == 2
    assert len(cache) == 0


async def test_entries_are_bounded() -> None:
    cache: ResultCache[int, int] = ResultCache(ttl_s=60, max_entries=3)

    async def load() -> int:
        return 0

    for key in range(10):
        await cache.get_or_load(key, load)
    assert len(cache) == 3
