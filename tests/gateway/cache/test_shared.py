import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bench.processes import free_port
from bench.redis_server import RedisServer
from gateway import errors
from gateway.cache import ResultCache, SharedLevel, Stored
from gateway.cache._envelope import Envelope, pack
from gateway.cache._purge import PurgeLog, PurgeTarget
from gateway.cache._shared import INDEX
from gateway.deadline import Deadline
from gateway.fleet import Fleet
from gateway.observability import Metrics
from tests.conftest import redis_commands, settings_for

_prefixes = itertools.count()


def fleet_on(url: str, metrics: Metrics | None = None) -> Fleet:
    prefix = f"shared-test-{next(_prefixes)}-{time.monotonic_ns()}"
    # A generous deadline: these tests count loads on a noisy machine, where a missed
    # 100 ms deadline would (rightly) mean a load of its own.
    settings = settings_for(
        "http://127.0.0.1:1", redis_url=url, redis_key_prefix=prefix, redis_timeout_ms=1000
    )
    fleet = Fleet.from_settings(settings, metrics)
    assert fleet is not None
    return fleet


@pytest.fixture
async def shared_fleet(redis_server: RedisServer) -> AsyncIterator[Fleet]:
    """A fleet on the session's Redis under a prefix of its own, closed after the test."""
    fleet = fleet_on(redis_server.url)
    yield fleet
    await asyncio.sleep(0.1)  # the writes that follow an answer land first
    await fleet.aclose()


def replica(
    fleet: Fleet, metrics: Metrics | None = None, purge_log: PurgeLog | None = None
) -> ResultCache[str, str]:
    """One replica's cache of strings, with its Redis level on `fleet` (and, given a
    purge log, every purge naming every entry)."""
    shared: SharedLevel[str, str] = SharedLevel(
        fleet,
        "test",
        parts=lambda key: (key,),
        body=lambda value: value.encode(),
        read=lambda _key, body: body.decode(),
        indexes=lambda _key, _value: [("all",)],
        stale_s=600,
        lease_s=5,
        metrics=metrics,
    )
    watch = None if purge_log is None else purge_log.watch(lambda _target, _key, _value: True)
    return ResultCache(ttl_s=60, max_entries=10, stale_s=600, shared=shared, watch_purges=watch)


class Upstream:
    def __init__(self, value: str = "fetched", delay_s: float = 0.0) -> None:
        self.calls = 0
        self.value = value
        self.delay_s = delay_s

    async def load(self, _by: Deadline, _background: bool) -> str:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        return self.value


async def test_replicas_missing_at_once_make_one_call(shared_fleet: Fleet) -> None:
    fleet = shared_fleet
    upstream = Upstream(delay_s=0.2)
    served = await asyncio.gather(
        *(replica(fleet).get("k", upstream.load, Deadline.after(5)) for _ in range(4))
    )
    assert [s.value for s in served] == ["fetched"] * 4
    assert upstream.calls == 1
    # A replica starting cold later is warm at once.
    await asyncio.sleep(0.05)  # the holder's write lands after its answer
    late = await replica(fleet).get("k", Upstream().load, Deadline.after(5))
    assert late.value == "fetched"


async def test_a_lease_whose_holder_died_is_taken_over_when_it_expires(shared_fleet: Fleet) -> None:
    fleet = shared_fleet
    metrics = Metrics()
    await fleet.redis.set(fleet.keys.key("lease", "test", "k"), "dead-holder", px=300)
    upstream = Upstream()
    started = time.monotonic()
    served = await replica(fleet, metrics).get("k", upstream.load, Deadline.after(5))
    assert served.value == "fetched"
    assert upstream.calls == 1
    assert 0.25 < time.monotonic() - started < 2
    takeovers = metrics.registry.get_sample_value(
        "shared_cache_events_total", {"cache": "test", "event": "takeover"}
    )
    assert takeovers == 1


async def test_a_waiter_whose_deadline_comes_first_serves_the_stale_entry(
    shared_fleet: Fleet,
) -> None:
    fleet = shared_fleet
    now = time.time()
    stale = Envelope(now - 100, now - 40, now + 500, b"old")
    await fleet.redis.set(fleet.keys.key("test", "k"), pack(stale), px=500_000)
    await fleet.redis.set(fleet.keys.key("lease", "test", "k"), "busy-holder", px=5000)
    upstream = Upstream()
    served = await replica(fleet).get("k", upstream.load, Deadline.after(0.2))
    assert served.value == "old"
    assert served.event == "stale"
    assert served.stale_age_s is not None
    assert served.stale_age_s >= 100
    assert upstream.calls == 0
    # With nothing stale to serve, the deadline is the upstream's timeout.
    await fleet.redis.set(fleet.keys.key("lease", "test", "other"), "busy-holder", px=5000)
    with pytest.raises(errors.UpstreamTimeout):
        await replica(fleet).get("other", upstream.load, Deadline.after(0.2))
    assert upstream.calls == 0


async def test_the_stale_shared_entry_stands_in_when_the_upstream_fails(
    shared_fleet: Fleet,
) -> None:
    fleet = shared_fleet
    now = time.time()
    await fleet.redis.set(
        fleet.keys.key("test", "k"), pack(Envelope(now - 90, now - 30, now + 500, b"old"))
    )

    async def failing(_by: Deadline, _background: bool) -> str:
        raise errors.UpstreamUnavailable("down")

    served = await replica(fleet).get("k", failing, Deadline.after(5))
    assert (served.value, served.event) == ("old", "stale")


async def test_without_redis_each_replica_goes_on_alone_within_the_deadline() -> None:
    fleet = fleet_on(f"redis://127.0.0.1:{free_port()}/0")
    upstream = Upstream()
    started = time.monotonic()
    try:
        for key in ("a", "b", "c", "d"):
            served = await replica(fleet).get(key, upstream.load, Deadline.after(5))
            assert served.value == "fetched"
    finally:
        await fleet.aclose()
    assert upstream.calls == 4
    assert time.monotonic() - started < 1.0


async def test_a_purge_during_a_load_keeps_its_value_out_of_both_levels(
    shared_fleet: Fleet,
) -> None:
    fleet = shared_fleet
    purge_log = PurgeLog()
    cache = replica(fleet, purge_log=purge_log)
    upstream = Upstream(value="before the purge", delay_s=0.3)
    loading = asyncio.ensure_future(cache.get("k", upstream.load, Deadline.after(5)))
    await asyncio.sleep(0.1)  # the lease is taken, the upstream is answering
    purge_log.record(PurgeTarget())
    served = await loading
    assert served.value == "before the purge"  # the request that asked is served
    await asyncio.sleep(0.1)  # when the write would have landed
    assert await fleet.redis.exists(fleet.keys.key("test", "k")) == 0
    again = Upstream(value="after the purge")
    assert (await cache.get("k", again.load, Deadline.after(5))).value == "after the purge"
    assert again.calls == 1


async def test_an_index_drops_its_expired_members_and_lives_as_long_as_its_last(
    shared_fleet: Fleet,
) -> None:
    fleet = shared_fleet
    index = fleet.keys.key(INDEX, "all")
    await fleet.redis.zadd(index, {"long-gone": 1000, "gone": 2000})
    await replica(fleet).get("k", Upstream().load, Deadline.after(5))
    await asyncio.sleep(0.05)  # the holder's write lands after its answer
    members = await fleet.redis.zrange(index, 0, -1)
    assert members == [fleet.keys.key("test", "k").encode()]
    expires_ms = await fleet.redis.zscore(index, fleet.keys.key("test", "k"))
    assert expires_ms is not None
    # Fresh for 60 s, then stale for 600: the entry's TTL, and so the index's.
    assert abs(expires_ms - (time.time() + 660) * 1000) < 5000
    assert 655_000 < await fleet.redis.pttl(index) <= 660_000


async def test_a_request_deadline_shorter_than_redis_s_bounds_its_redis_calls(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A "Redis" that accepts connections and never answers.
    accepted: list[asyncio.StreamWriter] = []
    silent = await asyncio.start_server(lambda _r, w: accepted.append(w), "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    fleet = fleet_on(f"redis://127.0.0.1:{port}/0")  # REDIS_TIMEOUT_MS: 1000
    level = replica(fleet)._shared
    assert level is not None
    fetched: list[Deadline] = []

    async def fetch(by: Deadline) -> Stored[str]:
        fetched.append(by)
        return Stored("fetched", time.time(), time.time() + 60)

    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await level.load(
                "k", fetch, Deadline.after(0.2), newer_than=0.0, keep=lambda _found: None
            )
        assert time.monotonic() - started < 0.8
        # The request's deadline is not Redis's failure: nothing counted against it,
        # and no upstream call made with a spent deadline.
        assert not [r for r in caplog.records if "failed" in r.getMessage()]
        assert fetched == []
    finally:
        await fleet.aclose()
        for writer in accepted:
            writer.close()
        silent.close()
        await silent.wait_closed()


async def test_closing_a_level_lands_the_writes_that_follow_answers(shared_fleet: Fleet) -> None:
    fleet = shared_fleet
    cache = replica(fleet)
    level = cache._shared
    assert level is not None
    served = await cache.get("k", Upstream().load, Deadline.after(5))
    assert served.value == "fetched"
    assert level._writes  # the write follows the answer
    await level.aclose()
    assert not level._writes
    assert await fleet.redis.exists(fleet.keys.key("test", "k")) == 1
    assert await fleet.redis.exists(fleet.keys.key("lease", "test", "k")) == 0


def level_of(fleet: Fleet, metrics: Metrics | None = None) -> SharedLevel[str, str]:
    level = replica(fleet, metrics)._shared
    assert level is not None
    return level


class PerKey:
    """An upstream whose value names its key, counting the keys it was asked for."""

    def __init__(self) -> None:
        self.fetched: list[str] = []

    def fetch(self, key: str) -> Callable[[Deadline], Awaitable[Stored[str]]]:
        async def fetch(_by: Deadline) -> Stored[str]:
            self.fetched.append(key)
            return Stored(f"value of {key}", time.time(), time.time() + 60)

        return fetch


async def load_all(
    level: SharedLevel[str, str], keys: list[str], upstream: PerKey, deadline_s: float = 5
) -> list[str]:
    deadline = Deadline.after(deadline_s)
    loaded = await asyncio.gather(
        *(
            level.load(key, upstream.fetch(key), deadline, newer_than=0.0, keep=lambda _s: None)
            for key in keys
        )
    )
    return [stored.value for stored in loaded]


async def test_fifty_cold_loads_ask_redis_in_one_pipeline_per_step(
    redis_server: RedisServer,
) -> None:
    metrics = Metrics()
    fleet = fleet_on(redis_server.url, metrics)
    level = level_of(fleet)
    keys = [f"promotion-{i}" for i in range(50)]
    upstream = PerKey()
    try:
        values = await load_all(level, keys, upstream)
        assert values == [f"value of {key}" for key in keys]
        assert sorted(upstream.fetched) == sorted(keys)
        # One GET pipeline, one lease pipeline for the 50 (not 50 of each).
        assert redis_commands(metrics, "cache_get") == 1
        assert redis_commands(metrics, "lease_take") == 1
        await level.aclose()  # the writes that follow the answers land
        assert redis_commands(metrics, "cache_set") == 1
        assert redis_commands(metrics, "lease_release") == 1
        # Warm now, for a replica starting cold: 50 hits in one more pipeline.
        again = PerKey()
        assert await load_all(level_of(fleet), keys, again) == values
        assert again.fetched == []
        assert redis_commands(metrics, "cache_get") == 2
        assert await fleet.redis.exists(*(level.key(key) for key in keys)) == 50
        leases = [fleet.keys.key("lease", "test", key) for key in keys]
        assert await fleet.redis.exists(*leases) == 0
    finally:
        await fleet.aclose()


async def test_a_batch_without_redis_falls_back_for_every_caller() -> None:
    metrics = Metrics()
    with RedisServer() as server:
        fleet = fleet_on(server.url, metrics)
        await fleet.call("ping", lambda r: r.ping())
        server.kill()
        keys = [f"promotion-{i}" for i in range(20)]
        try:
            for _ in range(4):  # the fourth batch with the breaker open: not even tried
                upstream = PerKey()
                async with asyncio.timeout(3):
                    values = await load_all(level_of(fleet, metrics), keys, upstream)
                assert values == [f"value of {key}" for key in keys]
                assert sorted(upstream.fetched) == sorted(keys)
            assert redis_commands(metrics, "cache_get", "error") == 3  # one per batch
            assert redis_commands(metrics, "cache_get", "skipped") == 1
            assert not fleet.available
        finally:
            await fleet.aclose()
    unavailable = metrics.registry.get_sample_value(
        "shared_cache_events_total", {"cache": "test", "event": "unavailable"}
    )
    assert unavailable == 80


async def test_a_load_cancelled_mid_batch_leaves_the_others_their_entries() -> None:
    with RedisServer() as server:
        fleet = fleet_on(server.url)  # REDIS_TIMEOUT_MS: 1000
        level = level_of(fleet)
        keys = ["a", "b", "c"]
        warm = PerKey()
        try:
            await load_all(level, keys, warm)
            await level.aclose()
            server.pause()  # the next batch waits on Redis: mid-batch
            upstream = PerKey()
            deadline = Deadline.after(5)
            loads = [
                asyncio.ensure_future(
                    level.load(
                        key, upstream.fetch(key), deadline, newer_than=0.0, keep=lambda _s: None
                    )
                )
                for key in keys
            ]
            await asyncio.sleep(0.1)
            loads[1].cancel()
            server.resume()
            assert (await loads[0]).value == "value of a"
            assert (await loads[2]).value == "value of c"
            assert loads[1].cancelled()
            assert upstream.fetched == []  # served from Redis, not fetched again
        finally:
            server.resume()
            await fleet.aclose()


async def test_a_garbage_entry_is_a_miss_for_its_key_only(shared_fleet: Fleet) -> None:
    fleet = shared_fleet
    metrics = Metrics()
    level = level_of(fleet, metrics)
    now = time.time()
    for key in ("good-1", "good-2"):
        envelope = Envelope(now, now + 60, now + 600, f"stored {key}".encode())
        await fleet.redis.set(level.key(key), pack(envelope), px=600_000)
    await fleet.redis.set(level.key("garbage"), b"\x80\x04not an entry at all", px=600_000)
    upstream = PerKey()
    values = await load_all(level, ["good-1", "garbage", "good-2"], upstream)
    assert values == ["stored good-1", "value of garbage", "stored good-2"]
    assert upstream.fetched == ["garbage"]
    events = {
        event: metrics.registry.get_sample_value(
            "shared_cache_events_total", {"cache": "test", "event": event}
        )
        for event in ("hit", "invalid")
    }
    assert events == {"hit": 2, "invalid": 1}
    await level.aclose()


async def test_a_lease_take_that_lands_after_its_deadline_is_given_back() -> None:
    with RedisServer() as server:
        settings = settings_for(
            "http://127.0.0.1:1", redis_url=server.url, redis_key_prefix="ghost"
        )  # REDIS_TIMEOUT_MS: the default 100
        fleet, other = Fleet.from_settings(settings), Fleet.from_settings(settings)
        assert fleet is not None
        assert other is not None
        try:
            mine, theirs = level_of(fleet), level_of(other)  # leases live 5 s

            async def failing(_by: Deadline) -> Stored[str]:
                raise errors.UpstreamUnavailable("down")  # nothing to write after

            entry = mine.key("x")
            await fleet.redis.ping()  # a connection in the pool: the take is sent on it
            server.pause()  # SIGSTOP: Redis reads nothing until it wakes, then runs it
            try:
                with pytest.raises(errors.UpstreamUnavailable):
                    # A miss (its GET answered): the lease take waits past 100 ms, and
                    # this replica goes on alone.
                    await mine._fill(
                        entry, "x", failing, Deadline.after(5), 0.0, lambda _stored: True
                    )
            finally:
                server.resume()
            lease = fleet.keys.key("lease", "test", "x")
            upstream = PerKey()
            for _ in range(20):  # Redis is back: the take it had read has run
                if not await other.redis.exists(lease):
                    break
                await asyncio.sleep(0.05)
            assert not await other.redis.exists(lease), "a lease no one holds was left"
            # Another replica takes the lease at once, not after the 5 s of its life.
            assert await load_all(theirs, ["x"], upstream, deadline_s=2) == ["value of x"]
            assert upstream.fetched == ["x"]
        finally:
            for each in (fleet, other):
                await each.aclose()


async def test_a_waiter_that_takes_the_lease_over_first_looks_for_the_holders_entry(
    shared_fleet: Fleet,
) -> None:
    holder, waiter = level_of(shared_fleet), level_of(shared_fleet)
    await holder.load("x", PerKey().fetch("x"), Deadline.after(5), newer_than=0.0, keep=print)
    await holder.aclose()  # the entry is written
    entry, lease = holder.key("x"), shared_fleet.keys.key("lease", "test", "x")
    stored = await shared_fleet.redis.get(entry)
    assert isinstance(stored, bytes)
    await shared_fleet.redis.delete(entry)
    await shared_fleet.redis.set(lease, "the holder's token", px=5000)
    looked = 0
    real_get = waiter._get

    async def get(entry_key: str, key: str, deadline: Deadline) -> Stored[str] | None:
        nonlocal looked
        looked += 1
        if looked == 1:
            # The waiter's poll misses; just after it, the holder writes and lets go.
            await shared_fleet.redis.set(entry, stored, px=60_000)
            await shared_fleet.redis.delete(lease)
            return None
        return await real_get(entry_key, key, deadline)

    waiter._get = get  # type: ignore[method-assign]
    upstream = PerKey()
    found = await waiter._fill(
        entry, "x", upstream.fetch("x"), Deadline.after(5), 0.0, lambda _stored: True
    )
    assert found.value == "value of x"
    assert upstream.fetched == []  # the holder's entry, not a second call
