"""One log line per request, and its X-Request-ID.

A request refused outside the schema (`note_refusal`) is logged with its code
and counted in `graphql_errors_total` like the schema's own errors.

An incoming X-Request-ID (letters, digits, `-`, `_`, `.`; at most 128) is kept,
anything else replaced by a fresh one; it is echoed in the response and sent
upstream. The request's RequestRecord lives in the ASGI scope's state for the
layers below (gateway.app's context getter) to fill in.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.observability import ACCESS, Metrics, RequestRecord

logger = logging.getLogger(ACCESS)

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_REFUSED = "refused"


def request_id(given: str | None) -> str:
    if given is not None and _REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def record_of(scope: Scope) -> RequestRecord | None:
    found = scope.get("state", {}).get("record")
    return found if isinstance(found, RequestRecord) else None


def note_refusal(scope: Scope, code: str) -> None:
    """The request was refused with `code` before or outside the schema: its log line
    and `graphql_errors_total` say so (the schema's own errors are counted by it)."""
    scope.setdefault("state", {})[_REFUSED] = code
    record = record_of(scope)
    if record is not None:
        record.error_codes = [code]


class RequestLog:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        record = RequestRecord(request_id(Headers(scope=scope).get("x-request-id")))
        scope.setdefault("state", {})["record"] = record
        status = 500

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = record.request_id
            await send(message)

        started = time.perf_counter()
        try:
            await self._app(scope, receive, tagged)
        finally:
            path = scope["path"]
            if path == "/graphql":
                self._metrics.responses.labels(str(status)).inc()
            refused = scope.get("state", {}).get(_REFUSED)
            if refused is not None:
                self._metrics.errors.labels(refused).inc()
            if path not in QUIET_PATHS:
                logger.info(
                    "request",
                    extra={
                        "fields": {
                            "requestId": record.request_id,
                            "method": scope["method"],
                            "path": path,
                            "status": status,
                            "operation": record.operation_name,
                            "durationMs": round((time.perf_counter() - started) * 1000, 2),
                            "upstreamCalls": record.upstream_calls(),
                            "cache": record.cache_outcomes(),
                            "errorCodes": record.error_codes,
                        }
                    },
                )
