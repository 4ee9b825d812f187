"""Redis as the gateway uses it: every command bounded, every failure contained.

Each `Fleet.call` runs within `REDIS_TIMEOUT_MS` (asyncio's timeout around the
whole exchange, not redis-py's per-socket-phase timeouts) and behind a circuit
breaker: consecutive failures open it, and while it is open no command is even
tried, so a Redis that is down or hung costs a request nothing. Whatever goes
wrong (connection refused, timeout, an error reply, the breaker open) the caller
sees one exception, `FleetUnavailable`, and goes on without the fleet.

Commands asked for in one event-loop tick can share one call: `Fleet.pipelined`
collects them and sends them as one non-transactional pipeline (see
`gateway.fleet._pipeline`), so a burst of misses is one round trip, one
deadline and one breaker verdict rather than dozens, and stays Cluster-safe
(single-key commands, unlike MGET).

redis-py drops a connection whose command was cancelled (5.0.1 and later), so a
command cut short by the deadline never leaves a reply for the next one to read.
redis-py's own retries are off: a retry would outlive the deadline, and the
breaker decides when to try again.

Load is not a failure, neither Redis's nor ours. The pool is a
`BlockingConnectionPool`: when every connection is busy a command waits for one,
within its deadline. A command that started while the pool was full and then
fails (it may never have reached Redis) is `FleetUnavailable` but is not counted
against the breaker: if Redis itself is down or hung, the commands holding the
connections fail and open it. Likewise a timeout that fires well after its
deadline (LATE_FRACTION) fired in an event loop too busy to read the reply in
time: the command fails, uncounted, or a cold burst that saturates the process's
CPU would open the breaker although Redis answered in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import redis.asyncio as redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import MaxConnectionsError, NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.breaker import BreakerState, CircuitBreaker
from gateway.fleet._keys import FleetKeys
from gateway.fleet._pipeline import Pipelines, Queue
from gateway.observability import BREAKER_STATES, Metrics
from gateway.settings import Settings

T = TypeVar("T")
log = logging.getLogger("gateway.fleet")

# Consecutive failed commands that open the breaker, and how long it stays open.
BREAKER_FAILURES = 3
BREAKER_OPEN_S = 1.0
# Connections to Redis per process: commands are short; beyond this a command
# waits for a free connection, and fails at its deadline rather than queueing long.
MAX_CONNECTIONS = 128
# A command's timeout that fires later than this part of its deadline past it fired
# in an event loop too busy to run it on time (a CPU-bound burst): the command
# fails, but Redis is not blamed for it (the breaker does not count it).
LATE_FRACTION = 0.25


class FleetUnavailable(Exception):
    """Redis could not be used for this command; go on without it."""


class Fleet:
    def __init__(
        self,
        client: redis.Redis,
        keys: FleetKeys,
        *,
        timeout_s: float,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.timeout_s = timeout_s
        self._metrics = metrics
        pool = client.connection_pool
        self._max_connections: int = getattr(pool, "max_connections", MAX_CONNECTIONS)
        self._in_flight = 0
        self.breaker = CircuitBreaker(
            failure_threshold=BREAKER_FAILURES,
            open_s=BREAKER_OPEN_S,
            clock=clock,
            on_change=self._breaker_changed,
        )
        self._pipelines = Pipelines(self.call, FleetUnavailable, metrics=metrics)
        # Scripts this process has loaded into Redis, and the loads in flight (by sha).
        self._loaded: set[str] = set()
        self._loading: dict[str, asyncio.Future[Any]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, metrics: Metrics | None = None) -> Fleet | None:
        """The fleet of `settings.redis_url`, or None without one. Connects lazily."""
        if not settings.redis_url:
            return None
        timeout_s = settings.redis_timeout_s
        pool = redis.BlockingConnectionPool.from_url(
            settings.redis_url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            max_connections=MAX_CONNECTIONS,
            timeout=timeout_s,
            health_check_interval=30,
        )
        client = redis.Redis.from_pool(pool)
        return cls(
            client, FleetKeys(settings.redis_key_prefix), timeout_s=timeout_s, metrics=metrics
        )

    @property
    def available(self) -> bool:
        """False while the breaker is open: a command now would not be tried."""
        return self.breaker.state is not BreakerState.OPEN or self.breaker.retry_in() == 0

    async def call(
        self,
        command: str,
        run: Callable[[redis.Redis], Awaitable[T]],
        *,
        timeout_s: float | None = None,
    ) -> T:
        """`run`'s result, within the deadline (`timeout_s`, else REDIS_TIMEOUT_MS);
        `command` names what it was for, in metrics and logs."""
        if not self.breaker.admit():
            self._count(command, "skipped")
            raise FleetUnavailable(f"{command}: Redis's breaker is open")
        started = time.perf_counter()
        # Started with every connection busy: a failure may be the wait for one.
        queued = self._in_flight >= self._max_connections
        self._in_flight += 1
        deadline_s = self.timeout_s if timeout_s is None else timeout_s
        try:
            async with asyncio.timeout(deadline_s):
                result = await run(self.redis)
        except (TimeoutError, RedisError, OSError) as error:
            if queued or isinstance(error, MaxConnectionsError):
                self.breaker.release()
                self._observe(command, "busy", started)
                raise FleetUnavailable(f"{command}: no Redis connection free in time") from None
            if isinstance(error, (TimeoutError, RedisTimeoutError)):  # ours or redis-py's
                overdue_s = time.perf_counter() - started - deadline_s
                if overdue_s > deadline_s * LATE_FRACTION:
                    # The timeout itself fired late: this process's event loop was too
                    # busy to read the reply, which says nothing about Redis.
                    self.breaker.release()
                    self._observe(command, "late", started)
                    raise FleetUnavailable(f"{command}: this process was too busy") from None
                self._failed(command, "timeout", started)
                raise FleetUnavailable(f"{command}: Redis did not answer in time") from None
            self._failed(command, "error", started)
            raise FleetUnavailable(f"{command}: {type(error).__name__}: {error}") from None
        except BaseException:
            # Cancelled, or `run` itself broke: not Redis's fault, but a half-open
            # breaker must not wait forever for this probe's verdict.
            self.breaker.release()
            raise
        finally:
            self._in_flight -= 1
        self.breaker.record(failed=False)
        self._observe(command, "ok", started)
        return result

    def pipelined(self, command: str, queue: Queue) -> asyncio.Future[Any]:
        """The reply to the one command `queue` puts on a pipeline, sent with the
        others asked for in this event-loop tick in one `call(command, ...)`.

        The future is the caller's own: cancelling it (or a timeout around awaiting
        it) leaves the batch to the others. It fails with `FleetUnavailable` if the
        pipeline's call does, or if Redis answered this command with an error."""
        return self._pipelines.add(command, queue)

    async def script(
        self, command: str, script: AsyncScript, keys: list[str], args: Sequence[str | int]
    ) -> Any:
        """The reply of a Lua script run with `pipelined`: an EVALSHA. The script is
        loaded before its first use here, and again only when Redis forgot it (a
        restart, a flush: NOSCRIPT); concurrent callers share one load. Not
        redis-py's own way of queueing a script on a pipeline, which asks
        `SCRIPT EXISTS` before every pipeline: a second round trip each time."""
        if script.sha not in self._loaded:
            await self._load(command, script)
        try:
            return await self.pipelined(command, _evalsha(script.sha, keys, args))
        except FleetUnavailable as error:
            if not isinstance(error.__cause__, NoScriptError):
                raise
        self._loaded.discard(script.sha)
        await self._load(command, script)
        return await self.pipelined(command, _evalsha(script.sha, keys, args))

    async def _load(self, command: str, script: AsyncScript) -> None:
        loading = self._loading.get(script.sha)
        if loading is None:
            loading = asyncio.ensure_future(
                self.call(f"{command}_load", lambda client: client.script_load(script.script))
            )
            self._loading[script.sha] = loading
            loading.add_done_callback(lambda _done: self._loading.pop(script.sha, None))
        await asyncio.shield(loading)  # one caller leaving does not cancel the others' load
        self._loaded.add(script.sha)

    async def aclose(self) -> None:
        await self._pipelines.aclose()
        # Closing what never opened, or a peer that is gone, is not a failure.
        with contextlib.suppress(RedisError, OSError):
            await self.redis.aclose()

    def _failed(self, command: str, outcome: str, started: float) -> None:
        self.breaker.record(failed=True)
        self._observe(command, outcome, started)
        log.warning("redis %s failed (%s); going on without the fleet", command, outcome)

    def _observe(self, command: str, outcome: str, started: float) -> None:
        if self._metrics is not None:
            self._metrics.redis_seconds.labels(command).observe(time.perf_counter() - started)
        self._count(command, outcome)

    def _count(self, command: str, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.redis_commands.labels(command, outcome).inc()

    def _breaker_changed(self, state: BreakerState) -> None:
        log.warning("redis breaker %s", state.value)
        if self._metrics is not None:
            self._metrics.redis_breaker_state.set(BREAKER_STATES[state.value])


def _evalsha(sha: str, keys: list[str], args: Sequence[str | int]) -> Queue:
    def queue(pipe: Pipeline) -> object:
        return pipe.evalsha(sha, len(keys), *keys, *args)

    return queue
