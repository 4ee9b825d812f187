import asyncio

import pytest

from gateway import errors
from gateway.deadline import Deadline
from gateway.upstream._slots import CallSlots


async def test_calls_beyond_the_limit_wait_for_a_slot() -> None:
    slots = CallSlots(limit=2, max_queue=10)
    peak = 0

    async def call() -> None:
        nonlocal peak
        async with slots.hold(Deadline.after(5)):
            peak = max(peak, slots.in_flight)
            await asyncio.sleep(0.01)

    await asyncio.gather(*(call() for _ in range(8)))
    assert peak == 2
    assert slots.in_flight == 0


async def test_a_full_queue_sheds_at_once() -> None:
    slots = CallSlots(limit=1, max_queue=1)
    release = asyncio.Event()

    async def hold() -> None:
        async with slots.hold(Deadline.after(5)):
            await release.wait()

    holder = asyncio.ensure_future(hold())
    waiter = asyncio.ensure_future(hold())
    await asyncio.sleep(0.01)
    with pytest.raises(errors.Overloaded):
        async with slots.hold(Deadline.after(5)):
            pass
    release.set()
    await asyncio.gather(holder, waiter)


async def test_no_wait_outlives_the_deadline() -> None:
    slots = CallSlots(limit=1, max_queue=5)
    release = asyncio.Event()

    async def hold() -> None:
        async with slots.hold(Deadline.after(5)):
            await release.wait()

    holder = asyncio.ensure_future(hold())
    await asyncio.sleep(0)
    with pytest.raises(errors.UpstreamTimeout):
        async with slots.hold(Deadline.after(0.02)):
            pass
    release.set()
    await holder
