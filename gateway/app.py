"""The ASGI application: GraphQL at /graphql over one shared upstream client.

Outside in: request log (X-Request-ID, one line per request) -> CORS -> request
limits (body size, requests in progress) -> front door (client rate limit,
CSRF, persisted and trusted documents) -> the GraphQL view (strawberry's, made
to speak GraphQL over HTTP). Also /healthz, /readyz (this process's readiness),
/metrics, and `/` (GraphiQL's address in development, a pointer in production).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from gateway.cache import PromotionCaches
from gateway.errors import GatewayError
from gateway.fleet import Fleet
from gateway.http import (
    IDE_ROUTE,
    CachePurge,
    ClientRateLimit,
    Credentials,
    FrontDoor,
    GatewayGraphQL,
    IdePage,
    Load,
    Readiness,
    RequestLimits,
    RequestLog,
    cors,
    healthz,
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
    *,
    sandbox_authorization: str | None = None,
) -> Starlette:
    """The gateway for `settings`; `transport` replaces the network in tests, and
    `tracing` the tracer configured from the OTEL_* environment. `sandbox_authorization`
    is the embedded sandbox's public demo credential, given only when the upstream is
    the sandbox the CLI started (`gateway.runtime.worker`): the IDE then presets it (it
    never shows any other credential)."""
    if settings.upstream_url is None:
        raise SettingsError("UPSTREAM_URL is required (the CLI starts the sandbox without it)")
    trusted = _trusted_documents(settings)
    metrics = Metrics()
    tracing = tracing or Tracing.from_env()
    # What the replicas share (None without REDIS_URL: everything stays in the process).
    fleet = Fleet.from_settings(settings, metrics)
    upstream = Upstream(settings, metrics, tracing, fleet)
    load = Load(settings.max_concurrent_requests)
    readiness = Readiness(load)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Every replica drops the entries a purge names (from any replica).
        purges = asyncio.create_task(upstream.caches.purges.listen())
        try:
            async with upstream.open(transport):
                readiness.client = upstream.client
                try:
                    yield
                finally:
                    readiness.drain()
                    readiness.client = None
        finally:
            purges.cancel()
            # Whatever the listener ended with, the fleet still closes.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await purges
            await upstream.caches.aclose()
            if fleet is not None:
                await fleet.aclose()
            metrics.process_exited()
            tracing.shutdown()

    async def readyz(_request: Request) -> Response:
        status, body = readiness.report()
        return JSONResponse(body, status, headers={"cache-control": "no-store"})

    async def metrics_endpoint(_request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    # Both methods, and what a GET needs when CSRF prevention is on (gateway/http/_front_door.py).
    served_as = "POST `Content-Type: application/json`, or GET" + (
        " with a header forcing a CORS preflight (`Apollo-Require-Preflight: true`) or a "
        "persisted query id"
        if settings.requires_preflight_for_get
        else ""
    )

    async def home(_request: Request) -> Response:
        if settings.is_production:
            # No GraphiQL to redirect to: say where GraphQL is.
            return JSONResponse(
                {"graphql": "/graphql", "message": f"GraphQL is served at /graphql: {served_as}."}
            )
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
    # The IDE (with its explain panel) in development only: production serves none.
    ide = None if settings.is_production else IdePage(demo_authorization=sandbox_authorization)
    graphql = GatewayGraphQL(schema, upstream, credentials, ide)
    middleware = [
        Middleware(RequestLog, metrics=metrics),
        Middleware(RequestLimits, max_body_bytes=settings.max_request_bytes, load=load),
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
                    key_secret=settings.cache_key_secret.encode(),
                )
                if settings.client_rate_limit_per_min
                else None
            ),
            credentials=credentials,
            csrf_prevention=settings.requires_preflight_for_get,
        ),
    ]
    cors_middleware = cors(settings)
    if cors_middleware is not None:
        middleware.insert(1, cors_middleware)
    routes = [
        # Every method reaches the view, which answers 405 in the one refusal shape.
        Route("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/", home),
    ]
    if ide is not None:
        routes.append(Route(IDE_ROUTE + "/{name:path}", ide.assets.serve))
    if settings.admin_token:
        purge = CachePurge(settings.admin_token, upstream.caches.purges.purge)
        # Every method reaches the endpoint, which answers 405 in the one refusal shape.
        routes.append(Route("/admin/cache/purge", purge))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.upstream = upstream
    app.state.metrics = metrics
    app.state.readiness = readiness
    app.state.fleet = fleet
    return app


def _trusted_documents(settings: Settings) -> TrustedDocuments | None:
    if settings.trusted_documents is None:
        return None
    try:
        return TrustedDocuments.load(settings.trusted_documents)
    except ManifestError as error:
        raise SettingsError(f"TRUSTED_DOCUMENTS: {error}") from None
