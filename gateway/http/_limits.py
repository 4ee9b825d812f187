"""Bounds on each GraphQL request before any of it is parsed.

The body is read up to MAX_REQUEST_BYTES (whether the client declared a
Content-Length or sent it chunked) and refused with 413 beyond it. At most
MAX_CONCURRENT_REQUESTS are in progress per worker (`Load`, which readiness
reads too); beyond that the gateway sheds with 503 and Retry-After, while health
checks keep being answered. A request still running when the shutdown grace
period ends gets a 503 too. Each refusal carries `limit`, `max` and `actual`.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import errors
from gateway.http._asgi import BodyTooLarge, read_body, refuse, replay


class Load:
    """The GraphQL requests in progress in this worker, and how many it takes on."""

    def __init__(self, max_in_progress: int) -> None:
        self.max_in_progress = max_in_progress
        self.in_progress = 0

    @property
    def full(self) -> bool:
        return self.in_progress >= self.max_in_progress


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        load: Load,
        paths: tuple[str, ...] = ("/graphql",),
    ) -> None:
        self._app = app
        self._max_body_bytes = max_body_bytes
        self._load = load
        self._paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self._paths:
            await self._app(scope, receive, send)
            return
        load = self._load
        if load.full:
            await refuse(
                scope,
                send,
                errors.Overloaded(
                    f"The gateway is busy ({load.in_progress} requests in progress, at most "
                    f"{load.max_in_progress}); retry in a second.",
                    details={
                        "limit": "concurrentRequests",
                        "max": load.max_in_progress,
                        "actual": load.in_progress + 1,
                        "retryAfter": 1,
                    },
                ),
            )
            return
        load.in_progress += 1
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            body = await self._read_body(scope, receive, tracked)
            if body is None:
                return
            await self._app(scope, replay(body, receive), tracked)
        except asyncio.CancelledError:
            # The server cancels what is still running when the shutdown grace
            # period ends: tell the client to retry (elsewhere), not a bare 500.
            if not started:
                await refuse(
                    scope,
                    send,
                    errors.ShuttingDown(
                        "The gateway is shutting down; retry.", details={"retryAfter": 1}
                    ),
                    [(b"connection", b"close")],
                )
                return
            raise
        finally:
            load.in_progress -= 1

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None once a 413 went out (or the client left)."""
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self._max_body_bytes:
                await self._too_large(scope, send, int(value), declared=True)
                return None
        try:
            return await read_body(receive, self._max_body_bytes)
        except BodyTooLarge as too_large:
            await self._too_large(scope, send, too_large.received, declared=False)
            return None

    async def _too_large(self, scope: Scope, send: Send, actual: int, *, declared: bool) -> None:
        """413; `actual` is the declared length, or (not `declared`) what came of the
        body before the gateway stopped reading."""
        allowed = self._max_body_bytes
        error = errors.PayloadTooLarge(
            f"The request body is larger than {allowed} bytes ({actual}"
            f"{'' if declared else ' read so far'}); send a smaller "
            "operation, or a persisted query id instead of its text.",
            details={
                "limit": "requestBytes",
                "max": allowed,
                "actual": actual,
                "maxBytes": allowed,
            },
        )
        await refuse(scope, send, error, [(b"connection", b"close")])
