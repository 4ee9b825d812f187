"""Strawberry's ASGI view, speaking GraphQL over HTTP, with the gateway's per-request context.

strawberry answers every operation `application/json` with HTTP 200; this view
adds the spec's content negotiation (`gateway.http._media`): the response goes
out in the media type the client accepts, and in
`application/graphql-response+json` a request that never reached execution (a
parse or validation failure, a limit, variables that do not coerce) is HTTP 400
with no `data` entry, while one that executed is 200. `application/json` keeps
the legacy behaviour (200 with `"data": null`). Methods other than GET and POST
are 405, an Accept taking neither JSON type is 406; every such refusal is the
front door's one JSON shape (`gateway.http._asgi.refusal`).
"""

from __future__ import annotations

from typing import Any, Protocol

import strawberry
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.types import QueryParams
from strawberry.types import ExecutionResult

from gateway import errors, jsonio
from gateway.cache import PromotionCaches
from gateway.deadline import Deadline
from gateway.http._asgi import refusal_response
from gateway.http._credential import Credentials
from gateway.http._front_door import MISSING_QUERY
from gateway.http._ide import IdePage
from gateway.http._media import GRAPHQL_RESPONSE_JSON, JSON, content_type, negotiate
from gateway.http._request_log import record_of, request_id
from gateway.loaders import CallBudget, Loaders, RequestCalls, StaleLog
from gateway.observability import RequestRecord
from gateway.settings import Settings
from gateway.upstream import Caller, UpstreamClient
from resolvers.context import RequestContext

EXPLAIN_HEADER = "x-gateway-explain"
ALLOWED_METHODS = ("GET", "POST")
_MEDIA_TYPE = "media_type"  # the request's negotiated media type, in the scope's state
_NOT_EXECUTED = "not_executed"  # set when the operation never reached execution


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
            graphql_ide=None,  # our own page (`ide`), answered before strawberry runs
            # No subscriptions in this schema: no queries over WebSocket either.
            subscription_protocols=(),
            multipart_uploads_enabled=False,
        )
        self._settings = settings
        self._upstream = upstream
        self._credentials = credentials
        self._ide = ide

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        state = scope.setdefault("state", {})
        try:
            response = await self._answer(request, state)
        except errors.GatewayError as error:
            response = refusal_response(scope, error, _allow(error))
        except HTTPException as refused:
            # What strawberry still refuses itself (e.g. an unknown operationName).
            response = refusal_response(scope, errors.BadRequest(refused.reason))
        await response(scope, receive, send)

    async def _answer(self, request: Request, state: dict[str, Any]) -> Response:
        method = request.method
        if method not in ALLOWED_METHODS:
            raise errors.MethodNotAllowed(
                f"GraphQL is served over GET and POST here, not {method}."
            )
        if self._ide is not None and self.should_render_graphql_ide(
            self.request_adapter_class(request)
        ):
            return self._ide.response()
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            raise errors.NotAcceptable(
                f"The response is JSON: accept `{GRAPHQL_RESPONSE_JSON}` or `{JSON}` "
                f"(the Accept header was {request.headers.get('accept')!r})."
            )
        state[_MEDIA_TYPE] = media_type
        if method == "GET" and not request.query_params.get("query", "").strip():
            raise errors.BadRequest(MISSING_QUERY)
        response = await self.run(request)
        response.headers["content-type"] = content_type(media_type)
        if media_type == GRAPHQL_RESPONSE_JSON and state.get(_NOT_EXECUTED):
            response.status_code = 400
        return response

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        # An empty `variables=` or `extensions=` is no value (the front door checked the rest).
        return super().parse_query_params({k: v for k, v in params.items() if v != ""})

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if not _executed(result):
            state = request.scope.setdefault("state", {})
            state[_NOT_EXECUTED] = True
            if state.get(_MEDIA_TYPE) == GRAPHQL_RESPONSE_JSON:
                response.pop("data", None)
        return response

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


def _executed(result: ExecutionResult) -> bool:
    """Whether execution started: a result with no data whose every error is a request
    error (no `path`: parsing, validation, a limit, variable coercion) never did."""
    if result.data is not None or not result.errors:
        return True
    return any(error.path is not None for error in result.errors)


def _allow(error: errors.GatewayError) -> list[tuple[bytes, bytes]]:
    if isinstance(error, errors.MethodNotAllowed):
        return [(b"allow", ", ".join(ALLOWED_METHODS).encode())]
    if isinstance(error, errors.NotAcceptable):
        accepted = f"{content_type(GRAPHQL_RESPONSE_JSON)}, {content_type(JSON)}"
        return [(b"accept", accepted.encode())]
    return []
