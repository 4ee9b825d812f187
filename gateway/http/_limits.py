"""Bounds on each GraphQL request before any of it is parsed.

The body is read up to MAX_REQUEST_BYTES (whether the client declared a
Content-Length or sent it chunked) and refused with 413 beyond it. At most
MAX_CONCURRENT_REQUESTS are in progress per worker; beyond that the gateway
sheds with 503 and Retry-After, while health checks keep being answered. A
request still running when the shutdown grace period ends gets a 503 too.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import errors
from gateway.http._asgi import BodyTooLarge, read_body, refuse, replay


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_in_progress: int,
        paths: tuple[str, ...] = ("/graphql",),
    ) -> None:
        self._app = app
        self._max_body_bytes = max_body_bytes
        self._max_in_progress = max_in_progress
        self._paths = paths
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self._paths:
            await self._app(scope, receive, send)
            return
        if self.in_progress >= self._max_in_progress:
            await refuse(
                send,
                503,
                errors.Overloaded("The gateway is busy; retry shortly.", details={"retryAfter": 1}),
                [(b"retry-after", b"1")],
            )
            return
        self.in_progress += 1
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
                    send,
                    503,
                    errors.ShuttingDown(
                        "The gateway is shutting down; retry.", details={"retryAfter": 1}
                    ),
                    [(b"retry-after", b"1"), (b"connection", b"close")],
                )
                return
            raise
        finally:
            self.in_progress -= 1

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None once a 413 went out (or the client left)."""
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self._max_body_bytes:
                await self._too_large(send)
                return None
        try:
            return await read_body(receive, self._max_body_bytes)
        except BodyTooLarge:
            await self._too_large(send)
            return None

    async def _too_large(self, send: Send) -> None:
        error = errors.PayloadTooLarge(
            f"The request body is larger than {self._max_body_bytes} bytes.",
            details={"maxBytes": self._max_body_bytes},
        )
        await refuse(send, 413, error, [(b"connection", b"close")])
