"""Small ASGI helpers for the middlewares in front of the schema, and the one shape
of a refused request (`refusal`), whichever layer refuses it."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from gateway import errors, jsonio
from gateway.http._media import JSON, content_type, negotiate
from gateway.http._request_log import note_refusal


class BodyTooLarge(Exception):
    def __init__(self, received: int) -> None:
        super().__init__(f"more than {received - 1} bytes")
        self.received = received


async def read_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The whole request body, or None if the client went away.

    Raises BodyTooLarge as soon as more than `limit` bytes have come.
    """
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if limit is not None and len(body) > limit:
            raise BodyTooLarge(len(body))
        if not message.get("more_body", False):
            return bytes(body)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out `body` (already read) first, then defers to `receive`."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def refusal(
    scope: Scope,
    error: errors.GatewayError,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body refusing the request of `scope` with `error`.

    One shape whatever the layer: `{"errors": [{"message", "extensions": {"code",
    ...}}]}` and no `data` (nothing ran), in the media type the client accepts, marked
    `Cache-Control: private, no-store` and `Vary: Authorization`. The
    code is noted in the request's state and record, for the metrics and the log line.
    """
    note_refusal(scope, error.code)
    extra = list(headers or ())
    retry_after = error.details.get("retryAfter")
    if retry_after is not None and not any(name == b"retry-after" for name, _ in extra):
        extra.append((b"retry-after", str(retry_after).encode()))
    payload = jsonio.dumps({"errors": [{"message": error.message, "extensions": error.extensions}]})
    media_type = negotiate(Headers(scope=scope).get("accept")) or JSON
    return (
        error.status,
        [
            (b"content-type", content_type(media_type).encode()),
            (b"content-length", str(len(payload)).encode()),
            (b"cache-control", b"private, no-store"),
            # As on every GraphQL response: a cache must not give one client's answer to another.
            (b"vary", b"Authorization"),
            *extra,
        ],
        payload,
    )


def refusal_response(
    scope: Scope,
    error: errors.GatewayError,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Response:
    status, raw_headers, payload = refusal(scope, error, headers)
    response = Response(payload, status_code=status)
    response.raw_headers = raw_headers
    return response


async def refuse(
    scope: Scope,
    send: Send,
    error: errors.GatewayError,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer with `error` (see `refusal`), before the schema sees the request."""
    status, raw_headers, payload = refusal(scope, error, headers)
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})
