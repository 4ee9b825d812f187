"""Small ASGI helpers for the middlewares in front of the schema."""

from __future__ import annotations

import json

from starlette.types import Message, Receive, Send

from gateway import errors


class BodyTooLarge(Exception):
    pass


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
            raise BodyTooLarge
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


async def refuse(
    send: Send,
    status: int,
    error: errors.GatewayError,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer with `error` as a GraphQL error body, before the schema sees the request."""
    extra = list(headers or ())
    retry_after = error.details.get("retryAfter")
    if retry_after is not None and not any(name == b"retry-after" for name, _ in extra):
        extra.append((b"retry-after", str(retry_after).encode()))
    payload = json.dumps(
        {"data": None, "errors": [{"message": error.message, "extensions": error.extensions}]}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"private, no-store"),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
