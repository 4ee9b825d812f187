"""What a GraphQL HTTP request must be before the schema sees it.

In order: the client's rate limit (per credential fingerprint, else per client
address: 429 with Retry-After); a POST must be `application/json` (415
otherwise, which also keeps out the bodies a browser may send cross-site without
a preflight); with CSRF prevention on (CSRF_PREVENTION, by default in
production), a GET carrying a query needs a header that forces a CORS preflight,
unless it carries only a persisted query id (no query text: only an operation
already registered can run); the parameters' shapes (GraphQL over HTTP: `query`
and `operationName` strings, `variables` and `extensions` objects, each may be
null); no batches; persisted queries resolved to their text (a new one is stored
just before its answer starts, once the guard has validated it), or refused
before parsing when the gateway runs on trusted documents only. Every refusal is the
one JSON shape of `gateway.http._asgi.refusal`, and every response is marked
`Cache-Control: private, no-store` and `Vary: Authorization`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cachetools import LRUCache
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
MISSING_QUERY = (
    "The request has no `query`: send the operation's text as `query` (or a persisted "
    "query id in `extensions.persistedQuery`)."
)
CSRF_MESSAGE = (
    "GET queries need a header that forces a CORS preflight (e.g. "
    "`Apollo-Require-Preflight: true`, or `X-Apollo-Operation-Name`), or a persisted "
    "query id (`extensions.persistedQuery.sha256Hash`); or send the query as a POST with "
    "`Content-Type: application/json`."
)


# How long a client's credit (tokens taken from the fleet's bucket ahead of its
# requests) may be held before it is dropped: short, so that credit one replica does
# not spend keeps little of the bucket from the others.
CREDIT_HOLD_S = 0.5
# How many takes in flight a request waits for (their batches may cover it) before it
# asks Redis alone: a client's concurrent requests share one call, but none waits long.
WAITS_FOR_CREDIT = 2


@dataclass
class _Credit:
    """Tokens of one client's fleet bucket this process has taken and not yet spent,
    and its recent demand (requests here per CREDIT_HOLD_S), which sizes the next take."""

    tokens: int = 0
    expires: float = 0.0
    window_started: float = 0.0
    this_window: int = 0
    last_window: int = 0

    def count(self, now: float) -> None:
        if now - self.window_started >= CREDIT_HOLD_S:
            fresh = now - self.window_started < 2 * CREDIT_HOLD_S
            self.last_window = self.this_window if fresh else 0
            self.window_started, self.this_window = now, 0
        self.this_window += 1

    def spend(self, now: float) -> bool:
        if self.tokens > 0 and now < self.expires:
            self.tokens -= 1
            return True
        self.tokens = 0
        return False

    def add(self, tokens: int, expires: float) -> None:
        # Tokens of two takes expire with the earlier: never spent past their hold.
        if tokens > 0:
            self.expires = min(self.expires, expires) if self.tokens > 0 else expires
            self.tokens += tokens


class ClientRateLimit:
    """A token bucket per client: `per_min` requests a minute, bursts of a tenth of that.

    With a `fleet`, the bucket is the fleet's (in Redis: `per_min` for all replicas
    together); while Redis cannot be used, each process counts on its own. Redis
    never sees a client's address: its key is an HMAC of it under `key_secret`
    (CACHE_KEY_SECRET), so no one reading Redis can test addresses against it.

    A script per request would cost a fifth of the gateway's throughput, so a process
    takes a client's tokens from the fleet's bucket in small batches
    (`SharedBuckets.take`) and spends them without Redis: its credit. A batch is sized
    to the client's requests to this process in the last CREDIT_HOLD_S (at most a
    quarter of the burst: one while the burst is under 8), and credit not spent within
    CREDIT_HOLD_S is dropped. It stays exact near the limit: the script grants extra
    tokens only while the bucket stays half full, so a client near its limit takes one
    token per request, as if each asked Redis alone; and every token is taken from the
    bucket before its request goes, with a slot that covers its hold, so the fleet never
    admits more than the bucket allows. What the batches cost is the other way: credit
    one replica holds (or drops) is not there for another's requests, for half a
    second at most. Requests of a client that arrive while its take is in flight wait
    for that call and spend its credit; the next take (sized to all of them) covers
    those it did not, and a request still uncovered after WAITS_FOR_CREDIT calls asks
    Redis alone: one call per request again, which is what near the limit needs."""

    def __init__(
        self,
        per_min: int,
        *,
        max_clients: int = 100_000,
        on_refusal: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        fleet: Fleet | None = None,
        key_secret: bytes = b"",
    ) -> None:
        if fleet is not None and not key_secret:
            raise ValueError("a fleet-wide client rate limit needs a key_secret")
        self._key_secret = key_secret
        self._per_min = per_min
        rate_per_s, capacity = per_min / 60, max(1.0, per_min / 10)
        self._burst = int(capacity)  # what the refusal says is what the bucket holds
        self._buckets = TokenBuckets(rate_per_s=rate_per_s, capacity=capacity, max_keys=max_clients)
        self._shared = (
            SharedBuckets(fleet, "client_rate", rate_per_s=rate_per_s, capacity=capacity)
            if fleet is not None
            else None
        )
        self._batch = max(1, int(capacity // 4))
        self._on_refusal = on_refusal
        # Each client's requests in its current minute (this process's count), for the
        # refusal's `actual`.
        self._minutes: LRUCache[str, tuple[float, int]] = LRUCache(max_clients)
        self._credits: LRUCache[str, _Credit] = LRUCache(max_clients)
        # The take in flight per client (removed when it ends: at most one per
        # request in flight).
        self._taking: dict[str, asyncio.Future[None]] = {}
        self._clock = clock

    async def admit(self, client: str) -> None:
        now = self._clock()
        started, count = self._minutes.get(client, (now, 0))
        if now - started >= 60:
            started, count = now, 0
        self._minutes[client] = (started, count + 1)
        try:
            await self._reserve(client, now)
        except Exhausted as exhausted:
            if self._on_refusal is not None:
                self._on_refusal()
            retry_after = max(1, math.ceil(exhausted.wait_s))
            raise errors.RateLimited(
                f"Too many requests from this client ({count + 1} in the last "
                f"{max(1, round(now - started))} s; at most {self._per_min} a minute, in bursts "
                f"of {self._burst}): retry after {retry_after} s.",
                details={
                    "limit": "clientRequestsPerMinute",
                    "max": self._per_min,
                    "actual": count + 1,
                    "burst": self._burst,
                    "retryAfter": retry_after,
                },
            ) from None

    def key(self, client: str) -> str:
        """The name of `client`'s bucket in Redis: a keyed hash, never the address."""
        return hmac.new(self._key_secret, client.encode(), hashlib.sha256).hexdigest()[:32]

    async def _reserve(self, client: str, now: float) -> None:
        if self._shared is not None:
            try:
                await self._take(self._shared, client, now)
            except FleetUnavailable:
                pass  # this process counts on its own
            else:
                return
        self._buckets.reserve(client, 0)

    async def _take(self, shared: SharedBuckets, client: str, now: float) -> None:
        """Spend a token of `client`'s credit, or take one (and maybe a batch) from the
        fleet's bucket. Raises Exhausted, or FleetUnavailable."""
        credit = self._credits.get(client)
        if credit is None:
            credit = self._credits[client] = _Credit(window_started=now)
        credit.count(now)
        for waited in range(WAITS_FOR_CREDIT + 1):
            if credit.spend(self._clock()):
                return
            pending = self._taking.get(client)
            if pending is None or waited == WAITS_FOR_CREDIT:
                break
            await asyncio.wait([pending])  # not cancelled with this request
        want = min(self._batch, max(credit.this_window, credit.last_window))
        leading = client not in self._taking
        if leading:
            self._taking[client] = asyncio.get_running_loop().create_future()
        try:
            sent = self._clock()
            granted = await shared.take(self.key(client), want, hold_s=CREDIT_HOLD_S)
            credit.add(granted - 1, sent + CREDIT_HOLD_S)
        finally:
            if leading:
                self._taking.pop(client).set_result(None)


class FrontDoor:
    def __init__(
        self,
        app: ASGIApp,
        *,
        persisted: PersistedQueries,
        trusted: TrustedDocuments | None,
        client_limit: ClientRateLimit | None,
        credentials: Credentials,
        csrf_prevention: bool,
        path: str = "/graphql",
    ) -> None:
        self._app = app
        self._csrf_prevention = csrf_prevention
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
        with self._persisted.request():
            try:
                if self._client_limit is not None:
                    await self._client_limit.admit(self._client_key(scope))
                if scope["method"] == "POST":
                    receive = await self._post(headers, receive)
                elif scope["method"] == "GET":
                    scope = await self._get(scope, headers)
            except errors.GatewayError as error:
                await refuse(scope, send, error)
                return
            await self._app(scope, receive, _private(send, self._persisted.settle))

    def _client_key(self, scope: Scope) -> str:
        # A client's own credential, not the default one every anonymous caller shares.
        credential = self._credentials.of(scope)
        if credential.authorization is not None and not credential.configured:
            return credential.fingerprint
        client = scope.get("client")
        return f"address:{client[0] if client else 'unknown'}"

    async def _post(self, headers: Headers, receive: Receive) -> Receive:
        media_type, utf8 = _media_type(headers.get("content-type", ""))
        if media_type != "application/json" or not utf8:
            given = headers.get("content-type") or "none"
            reason = (
                " (and a body a browser may send cross-site without a preflight)"
                if media_type in SIMPLE_CONTENT_TYPES or not media_type
                else ""
            )
            raise errors.UnsupportedMediaType(
                f"POST requests must be `Content-Type: application/json` (UTF-8); "
                f"{given} is not supported{reason}."
            )
        body = await read_body(receive)
        if body is None:
            raise errors.BadRequest("The client went away.")
        if not body.strip():
            raise errors.BadRequest(
                'The request body is empty: send a JSON object such as {"query": "{ __typename }"}.'
            )
        try:
            payload = jsonio.loads(body)
        except ValueError:
            raise errors.BadRequest("The request body is not valid JSON.") from None
        if isinstance(payload, list):
            raise errors.BadRequest("Batched operations are not supported: send one at a time.")
        if not isinstance(payload, dict):
            raise errors.BadRequest("The request body must be a JSON object.")
        _check_parameters(payload)
        resolved = await self._resolve(payload)
        return replay(json.dumps(resolved).encode() if resolved is not payload else body, receive)

    async def _get(self, scope: Scope, headers: Headers) -> Scope:
        query_string = scope.get("query_string", b"").decode("latin-1")
        params = dict(parse_qsl(query_string, keep_blank_values=True))
        if "query" not in params and "extensions" not in params:
            return scope  # no operation: the IDE page, if there is one
        payload: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            if params.get(name):
                try:
                    payload[name] = jsonio.loads(params[name])
                except ValueError:
                    raise errors.BadRequest(f"`{name}` is not valid JSON.") from None
            else:
                payload.pop(name, None)
        _check_parameters(payload)
        if self._csrf_prevention and not _hash_only(payload) and not _preflighted(headers):
            raise errors.CsrfPreflightRequired(CSRF_MESSAGE)
        resolved = await self._resolve(payload)
        if resolved is payload:
            return scope
        params["query"] = resolved["query"]
        return {**scope, "query_string": urlencode(params).encode()}

    async def _resolve(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload with the text of its persisted query; refused if not allowed."""
        query = payload.get("query")
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
            raise errors.PersistedQueryNotSupported(
                "Automatic persisted queries are off here (APQ_MAX_ENTRIES=0): send the query's "
                "text."
            )
        if query is None:
            found = await self._persisted.find(sha256)
            if found is None:
                raise errors.PersistedQueryNotFound("PersistedQueryNotFound")
            return {**payload, "query": found}
        if not self._persisted.offer(sha256, query):
            raise errors.BadRequest("The persisted query's sha256Hash is not the query's hash.")
        return payload


_SHAPES: tuple[tuple[str, type, str], ...] = (
    ("query", str, "a string"),
    ("operationName", str, "a string"),
    ("variables", dict, "an object"),
    ("extensions", dict, "an object"),
)


def _check_parameters(payload: dict[str, Any]) -> None:
    """GraphQL over HTTP's request parameters: each of its type, or null. A blank
    `query` is no query (taken out of `payload`)."""
    for name, kind, spelled in _SHAPES:
        value = payload.get(name)
        if value is not None and not isinstance(value, kind):
            raise errors.BadRequest(f"`{name}` must be {spelled} or null, not {_json_type(value)}.")
    query = payload.get("query")
    if query is not None and not query.strip():
        del payload["query"]
    if payload.get("query") is None and _persisted_hash(payload) is None:
        raise errors.BadRequest(MISSING_QUERY)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _media_type(header: str) -> tuple[str, bool]:
    """A Content-Type's media type, and whether its charset (if any) is UTF-8."""
    media_type, *params = (piece.strip() for piece in header.split(";"))
    utf8 = True
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            utf8 = value.strip().strip('"').lower() in ("utf-8", "utf8")
    return media_type.lower(), utf8


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


def _hash_only(payload: dict[str, Any]) -> bool:
    """A persisted query id and no text: only an operation already registered can run."""
    return payload.get("query") is None and _persisted_hash(payload) is not None


def _preflighted(headers: Headers) -> bool:
    if any(headers.get(name) for name in PREFLIGHT_HEADERS):
        return True
    media_type, _utf8 = _media_type(headers.get("content-type", ""))
    return bool(media_type) and media_type not in SIMPLE_CONTENT_TYPES


def _private(send: Send, before_start: Callable[[], Awaitable[None]]) -> Send:
    """`send`, marking the response private; `before_start` runs before it starts."""

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            await before_start()
            headers = MutableHeaders(scope=message)
            headers["Cache-Control"] = "private, no-store"
            varies = {v.strip().lower() for v in headers.get("vary", "").split(",")}
            if "authorization" not in varies:  # a refusal says it already
                headers.add_vary_header("Authorization")
        await send(message)

    return marked
