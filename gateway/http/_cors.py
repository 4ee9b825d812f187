"""CORS for the browser front ends that call the gateway.

Allowed origins: CORS_ORIGINS' exact origins and wildcard subdomains
(`https://*.example.com` takes `https://app.example.com` and
`https://a.b.example.com`, not `https://example.com`), or `*`; in development
also any `http(s)://localhost`, `127.0.0.1` or `[::1]` origin on any port (a dev
server such as Vite's or Next's). Allowed request headers are what mainstream
clients and tracing send; `X-Request-ID` is exposed. A preflight that is refused
gets the one JSON refusal shape (`CORS_NOT_ALLOWED`), naming what was refused.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from gateway import errors
from gateway.http._asgi import refusal_response
from gateway.http._front_door import PREFLIGHT_HEADERS
from gateway.http._view import ALLOWED_METHODS
from gateway.settings import Settings

ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    # CSRF prevention: headers that force a preflight (gateway.http._front_door).
    *PREFLIGHT_HEADERS,
    # Apollo Client's client awareness.
    "apollographql-client-name",
    "apollographql-client-version",
    # Tracing: W3C Trace Context and Baggage, Sentry.
    "traceparent",
    "tracestate",
    "baggage",
    "sentry-trace",
    "X-Request-ID",
    "X-Gateway-Explain",
)
EXPOSED_HEADERS = ("X-Request-ID", "Retry-After")
LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?"


def cors(settings: Settings) -> Middleware | None:
    """The CORS middleware for `settings`, or None when no origin is allowed."""
    exact = [origin for origin in settings.cors_origins if "*" not in origin or origin == "*"]
    patterns = [
        _wildcard(origin) for origin in settings.cors_origins if "*" in origin and origin != "*"
    ]
    if not settings.is_production:
        patterns.append(LOCAL_ORIGINS)
    if not exact and not patterns:
        return None
    return Middleware(
        GatewayCORS,
        allow_origins=exact,
        allow_origin_regex="|".join(f"(?:{pattern})" for pattern in patterns) or None,
        allow_methods=list(ALLOWED_METHODS),
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        max_age=600,
    )


def _wildcard(origin: str) -> str:
    """`https://*.example.com[:port]` as a pattern: one or more labels for the `*`."""
    scheme, _, host = origin.partition("://*.")
    return rf"{re.escape(scheme)}://([a-z0-9-]+\.)+{re.escape(host.lower())}"


class GatewayCORS(CORSMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if (
            scope["method"] == "OPTIONS"
            and "origin" in headers
            and "access-control-request-method" in headers
        ):
            response = self.preflight_response(request_headers=headers)
            if response.status_code >= 400:
                refused = refusal_response(scope, errors.CorsOriginNotAllowed(_why(self, headers)))
                refused.headers.update(
                    {k: v for k, v in response.headers.items() if k.startswith("access-control")}
                )
                # The answer depends on the Origin, as the preflight's own would have said.
                for varies in response.headers.get("vary", "").split(","):
                    if varies.strip():
                        refused.headers.add_vary_header(varies.strip())
                response = refused
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _why(cors: CORSMiddleware, headers: Headers) -> str:
    origin = headers["origin"]
    if not cors.is_allowed_origin(origin):
        return (
            f"The origin {origin} may not call the gateway from a browser; the operator "
            "allows origins with CORS_ORIGINS."
        )
    method = headers["access-control-request-method"]
    if method not in cors.allow_methods:
        return f"CORS requests may use {' and '.join(ALLOWED_METHODS)}, not {method}."
    requested = [
        h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",")
    ]
    refused = [h for h in requested if h and h not in cors.allow_headers]
    return f"CORS requests may not send the header(s) {', '.join(refused) or '(none)'}."
