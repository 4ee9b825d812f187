"""The ASGI application: GraphQL at /graphql over one shared upstream client.

Outside in: request log (X-Request-ID, one line per request) -> CORS -> request
limits (body size, requests in progress) -> front door (client rate limit,
CSRF, persisted and trusted documents) -> strawberry.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from gateway.cache import PromotionCaches
from gateway.errors import GatewayError
from gateway.fleet import Fleet
from gateway.http import (
    CachePurge,
    ClientRateLimit,
    Credentials,
    FrontDoor,
    GatewayGraphQL,
    RequestLimits,
    RequestLog,
    healthz,
    readiness,
)
from gateway.observability import Metrics, Tracing
from gateway.operations import (
    ManifestError,
    PersistedQueries,
    PreparedDocuments,
    TrustedDocuments,
    served_schema,
)
from gateway.settings import Settings, SettingsError
from gateway.upstream import AiohttpTransport, UpstreamClient


class Upstream:
    """The process's upstream client and caches, opened and closed by the lifespan."""

    def __init__(
        self, settings: Settings, metrics: Metrics, tracing: Tracing, fleet: Fleet | None = None
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.tracing = tracing
        self.fleet = fleet
        self.caches = PromotionCaches(settings, metrics, fleet)
        self._client: UpstreamClient | None = None

    @property
    def opened(self) -> UpstreamClient | None:
        return self._client

    @property
    def client(self) -> UpstreamClient:
        if self._client is None:
            raise RuntimeError("the upstream client is opened by the app's lifespan")
        return self._client

    @asynccontextmanager
    async def open(self, transport: httpx.AsyncBaseTransport | None) -> AsyncIterator[None]:
        settings = self.settings
        limits = httpx.Limits(
            max_connections=settings.upstream_max_connections,
            max_keepalive_connections=settings.upstream_max_connections,
        )
        # Limits belong to the transport: httpx ignores `limits=` when given one.
        transport = transport or AiohttpTransport(limits)
        async with transport:
            self._client = UpstreamClient(
                transport, settings, self.metrics, self.tracing, fleet=self.fleet
            )
            try:
                yield
            finally:
                self._client = None


def create_app(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    tracing: Tracing | None = None,
) -> Starlette:
    """The gateway for `settings`; `transport` replaces the network in tests, and
    `tracing` the tracer configured from the OTEL_* environment."""
    if settings.upstream_url is None:
        raise SettingsError("UPSTREAM_URL is required (the CLI starts the sandbox without it)")
    trusted = _trusted_documents(settings)
    metrics = Metrics()
    tracing = tracing or Tracing.from_env()
    # What the replicas share (None without REDIS_URL: everything stays in the process).
    fleet = Fleet.from_settings(settings, metrics)
    upstream = Upstream(settings, metrics, tracing, fleet)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Every replica drops the entries a purge names (from any replica).
        purges = asyncio.create_task(upstream.caches.purges.listen())
        try:
            async with upstream.open(transport):
                yield
        finally:
            purges.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purges
            if fleet is not None:
                await fleet.aclose()
            metrics.process_exited()
            tracing.shutdown()

    async def readyz(_request: Request) -> Response:
        reasons = readiness(upstream.opened)
        if reasons:
            return JSONResponse({"status": "unavailable", "reasons": reasons}, 503)
        return JSONResponse({"status": "ready"})

    async def metrics_endpoint(_request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    async def home(_request: Request) -> Response:
        return RedirectResponse("/graphql")

    prepared = PreparedDocuments()
    try:
        schema = served_schema(
            settings, prepared, metrics, tracing, trusted=trusted.by_id if trusted else None
        )
    except GatewayError as error:
        raise SettingsError(f"TRUSTED_DOCUMENTS: {error.message}") from None
    # Trusted operations always get their own metric label.
    metrics.operation_names.allow(prepared.operation_names())
    credentials = Credentials(
        settings.upstream_authorization, secret=settings.cache_key_secret.encode()
    )
    graphql = GatewayGraphQL(schema, upstream, credentials)
    middleware = [
        Middleware(RequestLog, metrics=metrics),
        Middleware(
            RequestLimits,
            max_body_bytes=settings.max_request_bytes,
            max_in_progress=settings.max_concurrent_requests,
        ),
        Middleware(
            FrontDoor,
            persisted=PersistedQueries(
                0 if trusted else settings.apq_max_entries, fleet, settings.apq_ttl_s
            ),
            trusted=trusted,
            client_limit=(
                ClientRateLimit(
                    settings.client_rate_limit_per_min,
                    on_refusal=metrics.rate_limited.labels("client").inc,
                    fleet=fleet,
                )
                if settings.client_rate_limit_per_min
                else None
            ),
            credentials=credentials,
        ),
    ]
    if settings.cors_origins:
        middleware.insert(1, _cors(settings))
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/", home),
    ]
    if settings.admin_token:
        purge = CachePurge(settings.admin_token, upstream.caches.purges.purge)
        routes.append(Route("/admin/cache/purge", purge.endpoint, methods=["POST"]))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.upstream = upstream
    app.state.metrics = metrics
    app.state.fleet = fleet
    return app


def _cors(settings: Settings) -> Middleware:
    return Middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Apollo-Require-Preflight",
            "X-Apollo-Operation-Name",
            "X-Request-ID",
            "X-Gateway-Explain",
            "traceparent",
        ],
        expose_headers=["X-Request-ID"],
        max_age=600,
    )


def _trusted_documents(settings: Settings) -> TrustedDocuments | None:
    if settings.trusted_documents is None:
        return None
    try:
        return TrustedDocuments.load(settings.trusted_documents)
    except ManifestError as error:
        raise SettingsError(f"TRUSTED_DOCUMENTS: {error}") from None
