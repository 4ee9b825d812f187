"""The ASGI application: GraphQL at /graphql over one shared upstream client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gateway.context import RequestContext
from gateway.cost import CallBudget
from gateway.credentials import Credential
from gateway.deadline import Deadline
from gateway.documents import ManifestError, PersistedQueries, TrustedDocuments
from gateway.errors import GatewayError
from gateway.front_door import ClientRateLimit, FrontDoor
from gateway.guard import PreparedDocuments
from gateway.limits import RequestLimits
from gateway.loaders import UpstreamCaches, build_loaders
from gateway.settings import Settings, SettingsError
from gateway.staleness import StaleLog
from gateway.upstream.client import UpstreamClient
from schema import build_schema, operation_policy


class Upstream:
    """The process's upstream client and caches, opened and closed by the lifespan."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.caches = UpstreamCaches(settings)
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
        transport = transport or httpx.AsyncHTTPTransport(limits=limits)
        async with httpx.AsyncClient(
            base_url=settings.upstream_url or "",
            transport=transport,
            timeout=settings.upstream_timeout_s,
            follow_redirects=False,
        ) as http:
            self._client = UpstreamClient(http, settings)
            try:
                yield
            finally:
                self._client = None


class GatewayGraphQL(GraphQL[RequestContext, None]):
    def __init__(self, upstream: Upstream, schema: strawberry.Schema) -> None:
        settings = upstream.settings
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            # No subscriptions in this schema: no queries over WebSocket either.
            subscription_protocols=(),
            multipart_uploads_enabled=False,
        )
        self._upstream = upstream
        self._secret = settings.cache_key_secret.encode()

    def credential(self, authorization: str | None) -> Credential:
        header = authorization or self._upstream.settings.upstream_authorization
        return Credential.from_header(header, secret=self._secret)

    async def get_context(self, request: Request | WebSocket, response: object) -> RequestContext:
        settings = self._upstream.settings
        credential = self.credential(request.headers.get("authorization"))
        deadline = Deadline.after(settings.operation_timeout_s)
        stale = StaleLog()
        calls = CallBudget(settings.max_upstream_calls_per_operation)
        loaders = build_loaders(
            self._upstream.client,
            self._upstream.caches,
            credential,
            settings,
            deadline,
            stale,
            calls,
        )
        return RequestContext(
            credential=credential,
            loaders=loaders,
            settings=settings,
            deadline=deadline,
            stale=stale,
            calls=calls,
        )


def create_app(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """The gateway for `settings`; `transport` replaces the network in tests."""
    if settings.upstream_url is None:
        raise SettingsError("UPSTREAM_URL is required (the CLI starts the sandbox without it)")
    upstream = Upstream(settings)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with upstream.open(transport):
            yield

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def home(_request: Request) -> Response:
        return RedirectResponse("/graphql")

    trusted = _trusted_documents(settings)
    prepared = PreparedDocuments()
    schema = build_schema(settings, prepared)
    if trusted is not None:
        try:
            prepared.prepare(schema._schema, trusted.by_id, operation_policy(settings))
        except GatewayError as error:
            raise SettingsError(f"TRUSTED_DOCUMENTS: {error.message}") from None
    graphql = GatewayGraphQL(upstream, schema)
    middleware = [
        Middleware(
            RequestLimits,
            max_body_bytes=settings.max_request_bytes,
            max_in_progress=settings.max_concurrent_requests,
        ),
        Middleware(
            FrontDoor,
            persisted=PersistedQueries(0 if trusted else settings.apq_max_entries),
            trusted=trusted,
            client_limit=(
                ClientRateLimit(settings.client_rate_limit_per_min)
                if settings.client_rate_limit_per_min
                else None
            ),
            fingerprint=graphql.credential,
        ),
    ]
    if settings.cors_origins:
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "Apollo-Require-Preflight",
                    "X-Apollo-Operation-Name",
                    "X-Request-ID",
                    "traceparent",
                ],
                max_age=600,
            ),
        )
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/", home),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.upstream = upstream
    return app


def _trusted_documents(settings: Settings) -> TrustedDocuments | None:
    if settings.trusted_documents is None:
        return None
    try:
        return TrustedDocuments.load(settings.trusted_documents)
    except ManifestError as error:
        raise SettingsError(f"TRUSTED_DOCUMENTS: {error}") from None


def app_from_env() -> Starlette:
    """The uvicorn factory: settings from the environment (each worker reads them)."""
    return create_app(Settings.from_env())
