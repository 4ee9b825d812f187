"""Commands asked for in one event-loop tick go to Redis as one pipeline.

A cold nested query misses dozens of entries in the same tick (a dataloader's
batch). Sent one by one, each command takes a connection, a task and a deadline
of its own, and under load enough of them miss it to open the breaker although
Redis is fine. Collected for the rest of the tick (the flush is scheduled with
`loop.call_soon`, as a dataloader does) they go as one non-transactional
pipeline: one round trip on one connection inside one `Fleet.call`, so one
deadline and one breaker verdict per batch. A pipeline, not MGET: multi-key
commands across hash slots fail on Redis Cluster, a pipeline of single-key
commands does not.

Each caller gets a future of its own, so a caller that is cancelled or whose own
deadline runs out leaves the batch to the others; when every caller has left, the
batch's command is cancelled (not a Redis failure). Replies are read with
`raise_on_error=False`: an error reply fails only the command it answers. The
whole call failing (Redis down, slow, breaker open) fails every caller in the
batch with `FleetUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import redis.asyncio as redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

from gateway.observability import Metrics

log = logging.getLogger("gateway.fleet")

# Commands per pipeline: a larger tick's commands start another pipeline.
MAX_PIPELINE_COMMANDS = 100

# Queues exactly one command on the pipeline (its reply is the caller's). Scripts go
# as EVALSHA (`Fleet.script`), not as redis-py's awaitable script-on-a-pipeline.
Queue = Callable[[Pipeline], object]
Call = Callable[[str, Callable[[redis.Redis], Awaitable[list[Any]]]], Awaitable[list[Any]]]


class _Batch:
    __slots__ = ("command", "queued", "task")

    def __init__(self, command: str) -> None:
        self.command = command
        self.queued: list[tuple[Queue, asyncio.Future[Any]]] = []
        self.task: asyncio.Task[None] | None = None

    def waiting(self) -> list[tuple[Queue, asyncio.Future[Any]]]:
        return [(queue, future) for queue, future in self.queued if not future.done()]


class Pipelines:
    """The batches of one fleet: one open batch per command name (so metrics and
    logs still say what the commands were for), each sent through `call`."""

    def __init__(
        self,
        call: Call,
        unavailable: type[Exception],
        *,
        max_commands: int = MAX_PIPELINE_COMMANDS,
        metrics: Metrics | None = None,
    ) -> None:
        self._call = call
        self._unavailable = unavailable
        self._max_commands = max_commands
        self._metrics = metrics
        self._open: dict[str, _Batch] = {}
        self._sending: set[asyncio.Task[None]] = set()

    def add(self, command: str, queue: Queue) -> asyncio.Future[Any]:
        """A future for the reply of the command `queue` puts on this tick's pipeline."""
        loop = asyncio.get_running_loop()
        batch = self._open.get(command)
        if batch is None or len(batch.queued) >= self._max_commands:
            batch = _Batch(command)
            self._open[command] = batch
            loop.call_soon(self._send, batch)
        future: asyncio.Future[Any] = loop.create_future()
        future.add_done_callback(partial(self._left, batch))
        batch.queued.append((queue, future))
        return future

    def _send(self, batch: _Batch) -> None:
        if self._open.get(batch.command) is batch:
            del self._open[batch.command]
        if not batch.waiting():  # every caller left before the tick ended
            return
        task = asyncio.ensure_future(self._run(batch))
        batch.task = task
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        # However the task ends (even cancelled before its first step, which `_run`
        # never sees), no caller is left waiting.
        task.add_done_callback(partial(self._unanswered, batch))

    def _unanswered(self, batch: _Batch, _task: asyncio.Task[None]) -> None:
        self._fail(batch.waiting(), partial(self._unavailable, f"{batch.command}: closed"))

    def _left(self, batch: _Batch, future: asyncio.Future[Any]) -> None:
        if not future.cancelled():
            future.exception()  # the caller who awaits it sees it; nobody else must log it
            return
        # The last caller gone: nobody wants the replies, and a command given up on
        # is not Redis's failure (Fleet.call does not count a cancelled one).
        if batch.task is not None and not batch.waiting():
            batch.task.cancel()

    async def _run(self, batch: _Batch) -> None:
        waiting = batch.waiting()
        answered: list[asyncio.Future[Any]] = []

        async def send(client: redis.Redis) -> list[Any]:
            answered.clear()
            async with client.pipeline(transaction=False) as pipe:
                for queue, future in waiting:
                    try:
                        queue(pipe)
                    except Exception as error:  # this caller's command would not queue
                        if not future.done():
                            future.set_exception(error)
                        continue
                    answered.append(future)
                if not answered:
                    return []
                replies: list[Any] = await pipe.execute(raise_on_error=False)
                return replies

        if self._metrics is not None:
            self._metrics.redis_pipeline_commands.labels(batch.command).observe(len(waiting))
        try:
            replies = await self._call(batch.command, send)
        except asyncio.CancelledError:
            self._fail(waiting, lambda: self._unavailable(f"{batch.command}: closed"))
            raise
        except self._unavailable as error:
            # One exception each: a shared one would gather every caller's traceback.
            message = str(error)
            self._fail(waiting, lambda: self._unavailable(message))
            return
        except Exception as error:  # a bug: every caller hears it
            broken = error
            self._fail(waiting, lambda: broken)
            return
        if len(replies) != len(answered):  # a `queue` put more or less than one command
            mismatch = RuntimeError(
                f"{batch.command}: {len(replies)} replies to {len(answered)} commands"
            )
            self._fail(waiting, lambda: mismatch)
            return
        errors = 0
        for future, reply in zip(answered, replies, strict=True):
            if future.done():
                continue
            if isinstance(reply, Exception):
                # NOSCRIPT is expected once per script (Fleet.script then loads it).
                errors += not isinstance(reply, NoScriptError)
                failure = self._unavailable(f"{batch.command}: {type(reply).__name__}: {reply}")
                failure.__cause__ = reply  # the caller may tell NOSCRIPT from the rest
                future.set_exception(failure)
            else:
                future.set_result(reply)
        if errors:
            log.warning(
                "redis %s: %d of %d replies were errors", batch.command, errors, len(replies)
            )

    @staticmethod
    def _fail(
        waiting: list[tuple[Queue, asyncio.Future[Any]]], error: Callable[[], BaseException]
    ) -> None:
        for _queue, future in waiting:
            if not future.done():
                future.set_exception(error())

    async def aclose(self) -> None:
        """Fail the batches not yet sent and cancel those in flight."""
        for batch in list(self._open.values()):
            self._fail(batch.waiting(), partial(self._unavailable, f"{batch.command}: closed"))
        self._open.clear()
        sending = set(self._sending)
        for task in sending:
            task.cancel()
        if sending:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait(sending)
