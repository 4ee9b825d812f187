"""What a GraphQL HTTP request must be before the schema sees it.

In order: the client's rate limit (per credential fingerprint, else per client
address: 429 with Retry-After); CSRF protection (a POST must be JSON; a GET
carrying a query needs a header that forces a CORS preflight, or a persisted
query id); no batches; persisted queries resolved to their text, or refused
before parsing when the gateway runs on trusted documents only. Every response
is marked `Cache-Control: private, no-store` and `Vary: Authorization`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import errors, jsonio
from gateway.fleet import Fleet, FleetUnavailable, SharedBuckets
from gateway.http._asgi import read_body, refuse, replay
from gateway.http._credential import Credentials
from gateway.operations import PersistedQueries, TrustedDocuments
from gateway.token_bucket import Exhausted, TokenBuckets

# Content types a browser may POST cross-site without a preflight.
SIMPLE_CONTENT_TYPES = frozenset(
    {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")

_STATUS = {
    errors.BadRequest: 400,
    errors.RateLimited: 429,
    errors.PersistedQueryNotFound: 200,  # the protocol: the client then sends the text
    errors.PersistedQueryNotInList: 400,
    errors.QueryNotInSafelist: 400,
}


class ClientRateLimit:
    """A token bucket per client: `per_min` requests a minute, bursts of a tenth of that.

    With a `fleet`, the bucket is the fleet's (in Redis: `per_min` for all replicas
    together); while Redis cannot be used, each process counts on its own."""

    def __init__(
        self,
        per_min: int,
        *,
        max_clients: int = 100_000,
        on_refusal: Callable[[], None] | None = None,
        fleet: Fleet | None = None,
    ) -> None:
        rate_per_s, capacity = per_min / 60, max(1.0, per_min / 10)
        self._buckets = TokenBuckets(rate_per_s=rate_per_s, capacity=capacity, max_keys=max_clients)
        self._shared = (
            SharedBuckets(fleet, "client_rate", rate_per_s=rate_per_s, capacity=capacity)
            if fleet is not None
            else None
        )
        self._on_refusal = on_refusal

    async def admit(self, client: str) -> None:
        try:
            await self._reserve(client)
        except Exhausted as exhausted:
            if self._on_refusal is not None:
                self._on_refusal()
            raise errors.RateLimited(
                "Too many requests from this client; retry later.",
                details={"retryAfter": max(1, math.ceil(exhausted.wait_s))},
            ) from None

    async def _reserve(self, client: str) -> None:
        if self._shared is not None:
            # A client address is no key for Redis: its hash is.
            try:
                await self._shared.reserve(hashlib.sha256(client.encode()).hexdigest()[:32], 0)
            except FleetUnavailable:
                pass  # this process counts on its own
            else:
                return
        self._buckets.reserve(client, 0)


class FrontDoor:
    def __init__(
        self,
        app: ASGIApp,
        *,
        persisted: PersistedQueries,
        trusted: TrustedDocuments | None,
        client_limit: ClientRateLimit | None,
        credentials: Credentials,
        path: str = "/graphql",
    ) -> None:
        self._app = app
        self._persisted = persisted
        self._trusted = trusted
        self._client_limit = client_limit
        self._credentials = credentials
        self._path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self._path:
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            if self._client_limit is not None:
                await self._client_limit.admit(self._client_key(scope, headers))
            if scope["method"] == "POST":
                receive = await self._post(headers, receive)
            elif scope["method"] == "GET":
                scope = await self._get(scope, headers)
        except errors.GatewayError as error:
            await refuse(send, _STATUS.get(type(error), 400), error)
            return
        await self._app(scope, receive, _private(send))

    def _client_key(self, scope: Scope, headers: Headers) -> str:
        # A client's own credential, not the default one every anonymous caller shares.
        authorization = headers.get("authorization")
        if authorization and authorization.strip():
            return self._credentials.of(scope).fingerprint
        client = scope.get("client")
        return f"address:{client[0] if client else 'unknown'}"

    async def _post(self, headers: Headers, receive: Receive) -> Receive:
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            reason = (
                "a cross-site request forgery risk"
                if media_type in SIMPLE_CONTENT_TYPES or not media_type
                else "not supported"
            )
            raise errors.BadRequest(
                f"POST requests must be `Content-Type: application/json` ({media_type or 'none'}"
                f" is {reason})."
            )
        body = await read_body(receive)
        if body is None:
            raise errors.BadRequest("The client went away.")
        try:
            payload = jsonio.loads(body)
        except ValueError:
            raise errors.BadRequest("The request body is not valid JSON.") from None
        if isinstance(payload, list):
            raise errors.BadRequest("Batched operations are not supported: send one at a time.")
        if not isinstance(payload, dict):
            raise errors.BadRequest("The request body must be a JSON object.")
        resolved = await self._resolve(payload)
        return replay(json.dumps(resolved).encode() if resolved is not payload else body, receive)

    async def _get(self, scope: Scope, headers: Headers) -> Scope:
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if "query" not in params and "extensions" not in params:
            return scope  # no operation: the IDE page, if there is one
        payload: dict[str, Any] = dict(params)
        if "extensions" in params:
            try:
                payload["extensions"] = json.loads(params["extensions"])
            except ValueError:
                raise errors.BadRequest("`extensions` is not valid JSON.") from None
        if _persisted_hash(payload) is None and not _preflighted(headers):
            raise errors.BadRequest(
                "GET queries need a header that forces a CORS preflight "
                "(`Apollo-Require-Preflight: true`), or a persisted query id."
            )
        resolved = await self._resolve(payload)
        if resolved is payload:
            return scope
        params["query"] = resolved["query"]
        return {**scope, "query_string": urlencode(params).encode()}

    async def _resolve(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload with the text of its persisted query; refused if not allowed."""
        query = payload.get("query")
        if query is not None and not isinstance(query, str):
            raise errors.BadRequest("`query` must be a string.")
        sha256 = _persisted_hash(payload)
        if self._trusted is not None:
            if query is None and sha256 is not None:
                listed = self._trusted.body(sha256)
                if listed is None:
                    raise errors.PersistedQueryNotInList(
                        "This persisted query id is not in the gateway's list."
                    )
                return {**payload, "query": listed}
            if query is not None and not self._trusted.allows(query):
                raise errors.QueryNotInSafelist(
                    "Only the documents in the gateway's trusted list may run."
                )
            return payload
        if sha256 is None:
            return payload
        if not self._persisted.enabled:
            raise errors.BadRequest("Persisted queries are not supported here.")
        if query is None:
            found = await self._persisted.find(sha256)
            if found is None:
                raise errors.PersistedQueryNotFound("PersistedQueryNotFound")
            return {**payload, "query": found}
        if not await self._persisted.add(sha256, query):
            raise errors.BadRequest("The persisted query's sha256Hash is not the query's hash.")
        return payload


def _persisted_hash(payload: dict[str, Any]) -> str | None:
    extensions = payload.get("extensions")
    if not isinstance(extensions, dict):
        return None
    persisted = extensions.get("persistedQuery")
    if not isinstance(persisted, dict):
        return None
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or len(sha256) != 64:
        raise errors.BadRequest("`persistedQuery.sha256Hash` must be a SHA-256 hex digest.")
    return sha256.lower()


def _preflighted(headers: Headers) -> bool:
    if any(headers.get(name) for name in PREFLIGHT_HEADERS):
        return True
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return bool(media_type) and media_type not in SIMPLE_CONTENT_TYPES


def _private(send: Send) -> Send:
    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["Cache-Control"] = "private, no-store"
            headers.add_vary_header("Authorization")
        await send(message)

    return marked
