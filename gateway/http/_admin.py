"""`POST /admin/cache/purge`: an operator (or the vendor's change webhook) purges a
promotion, a program or everything from every replica's caches.

Only with `ADMIN_TOKEN` set does the app route here. The bearer token is compared
in constant time. The body is one of `{"programId": "...", "promotionId": "..."}`,
`{"programId": "..."}` or `{"all": true}`; anything else is a 400 with
`extensions.code` BAD_REQUEST, a body over 4 KiB a 413 (PAYLOAD_TOO_LARGE), any
other method a 405 (METHOD_NOT_ALLOWED, with `Allow: POST`): every refusal in the
one shape of `gateway.http._asgi.refusal`, as on /graphql. The answer counts the
entries that went: this replica's first level (`local`) and the shared level
(`shared`; null without a fleet). The other replicas drop theirs as the purge
reaches them on the purge channel (within a second). With Redis unavailable the
answer is a 503, PURGE_INCOMPLETE: retry.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from gateway import errors, jsonio
from gateway.cache import Purged, PurgeIncomplete, PurgeTarget
from gateway.http._asgi import refusal_response

# An id longer than this is not one the vendor issues; a body longer than this is
# not a purge.
MAX_ID_LENGTH = 200
MAX_BODY_BYTES = 4096


class CachePurge:
    def __init__(self, token: str, purge: Callable[[PurgeTarget], Awaitable[Purged]]) -> None:
        self._token = token.encode()
        self._purge = purge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI app, so that every method reaches it (Starlette routes a plain
        function's endpoint for GET only, and answers other methods itself)."""
        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)

    async def endpoint(self, request: Request) -> Response:
        if request.method != "POST":
            return _error(
                request,
                errors.MethodNotAllowed(f"{request.method} is not allowed here: POST a purge."),
                {"Allow": "POST"},
            )
        if not self._authorized(request.headers.get("authorization", "")):
            return _error(
                request,
                errors.Unauthenticated("Send `Authorization: Bearer <ADMIN_TOKEN>`."),
                {"WWW-Authenticate": "Bearer"},
            )
        try:
            target = _target(await _body(request))
        except errors.GatewayError as error:
            return _error(request, error)
        try:
            purged = await self._purge(target)
        except PurgeIncomplete as error:
            return _error(request, error, {"Retry-After": "1"})
        return JSONResponse(
            {
                "purged": {"local": purged.local, "shared": purged.shared},
                "target": {"programId": target.program_id, "promotionId": target.promotion_id},
            },
            headers={"Cache-Control": "no-store"},
        )

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        # compare_digest on both branches' bytes: no early exit on the token's content.
        return hmac.compare_digest(token.strip().encode(), self._token) and (
            scheme.lower() == "bearer"
        )


async def _body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise errors.PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    return bytes(body)


def _target(body: bytes) -> PurgeTarget:
    try:
        fields = jsonio.loads(body) if body else None
    except ValueError:
        raise errors.BadRequest("The body is not valid JSON.") from None
    if not isinstance(fields, dict):
        raise errors.BadRequest(
            'Send a JSON object: {"programId", "promotionId"}, {"programId"} or {"all": true}.'
        )
    if fields == {"all": True}:
        return PurgeTarget()
    unknown = set(fields) - {"programId", "promotionId"}
    if unknown or "programId" not in fields:
        raise errors.BadRequest(
            'Send {"programId", "promotionId"}, {"programId"} or {"all": true}; '
            f"unexpected: {', '.join(sorted(map(str, unknown))) or 'no programId'}."
        )
    program_id = _identifier(fields, "programId")
    promotion_id = _identifier(fields, "promotionId") if "promotionId" in fields else None
    return PurgeTarget(program_id, promotion_id)


def _identifier(fields: dict[str, Any], name: str) -> str:
    value = fields[name]
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
        raise errors.BadRequest(f"`{name}` must be a non-empty id (at most {MAX_ID_LENGTH}).")
    return value.strip()


def _error(
    request: Request, error: errors.GatewayError, headers: dict[str, str] | None = None
) -> Response:
    """The one refusal shape, with the status the error's class declares."""
    extra = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    return refusal_response(request.scope, error, extra)
