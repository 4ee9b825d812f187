"""Strawberry's ASGI view, with the gateway's per-request context."""

from __future__ import annotations

from typing import Protocol

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gateway import jsonio
from gateway.cache import PromotionCaches
from gateway.deadline import Deadline
from gateway.http._credential import Credentials
from gateway.http._ide import IdePage
from gateway.http._request_log import record_of, request_id
from gateway.loaders import CallBudget, Loaders, RequestCalls, StaleLog
from gateway.observability import RequestRecord
from gateway.settings import Settings
from gateway.upstream import Caller, UpstreamClient
from resolvers.context import RequestContext

EXPLAIN_HEADER = "x-gateway-explain"


class UpstreamSource(Protocol):
    """The process's upstream client (opened by the app's lifespan) and caches."""

    settings: Settings
    caches: PromotionCaches

    @property
    def client(self) -> UpstreamClient: ...


class GatewayGraphQL(GraphQL[RequestContext, None]):
    def __init__(
        self,
        schema: strawberry.Schema,
        upstream: UpstreamSource,
        credentials: Credentials,
        ide: IdePage | None = None,
    ) -> None:
        settings = upstream.settings
        super().__init__(
            schema,
            graphql_ide=None if ide is None else "graphiql",
            # No subscriptions in this schema: no queries over WebSocket either.
            subscription_protocols=(),
            multipart_uploads_enabled=False,
        )
        self._settings = settings
        self._upstream = upstream
        self._credentials = credentials
        self._ide = ide

    async def render_graphql_ide(self, request: Request) -> Response:
        if self._ide is None:  # strawberry renders the IDE only when graphql_ide is set
            return Response(status_code=404)
        return self._ide.response()

    def encode_json(self, data: object) -> bytes:
        return jsonio.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return jsonio.loads(data)

    async def get_context(self, request: Request | WebSocket, response: object) -> RequestContext:
        settings = self._settings
        headers = request.headers
        record = record_of(request.scope) or RequestRecord(request_id(headers.get("x-request-id")))
        record.explain = headers.get(EXPLAIN_HEADER) == "1" and settings.explain_allowed
        forwarded = {"X-Request-ID": record.request_id}
        record.traceparent = headers.get("traceparent")
        if record.traceparent:
            # Replaced by the call's own span's when tracing is on.
            forwarded["traceparent"] = record.traceparent
        caller = Caller(
            Deadline.after(settings.operation_timeout_s),
            calls=record.calls,
            itemised=record.explain,
            headers=forwarded,
        )
        upstream = self._upstream
        calls = RequestCalls(
            client=upstream.client,
            credential=self._credentials.of(request.scope),
            caller=caller,
            budget=CallBudget(settings.max_upstream_calls_per_operation),
            stale=StaleLog(),
        )
        return RequestContext(
            loaders=Loaders.for_request(calls, upstream.caches, fanout=settings.promotion_fanout),
            settings=settings,
            stale=calls.stale,
            record=record,
        )
