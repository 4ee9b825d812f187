"""The gateway's settings, each declared once: its environment variable, what it accepts,
its default and what it means. `Settings.from_env()` and the table in docs/settings.md
(`python -m gateway.settings --write docs/settings.md`) are both derived from here."""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.settings import _parsers as p
from gateway.settings._declare import Factory, SettingsError, read_environment, setting
from gateway.settings._parsers import Environment


def _random_secret() -> str:
    return secrets.token_hex(32)


@dataclass(frozen=True)
class Settings:
    # Each field: setting(VARIABLE, parser, default, description). Descriptions are one
    # sentence each: they are the settings table's last column.
    host: str = setting(
        "HOST",
        p.address,
        "127.0.0.1",
        "The address the server listens on (`0.0.0.0` for every interface).",
    )
    port: int = setting("PORT", p.port, 8000, "The port the server listens on.")
    workers: int = setting(
        "WEB_CONCURRENCY",
        p.positive_int,
        1,
        "How many worker processes serve requests, each with its own caches and limits.",
    )
    # setting() returns a field, not a shared value (ruff sees through it for builtin types).
    environment: Environment = setting(
        "GATEWAY_ENV",
        p.environment,
        "development",
        "`development` serves GraphiQL and answers introspection and explain requests; "
        "`production` turns them off, hides field suggestions in errors and logs JSON lines.",
    )
    log_level: str = setting(
        "LOG_LEVEL",
        p.log_level,
        "INFO",
        "The least severe level of the log lines written, e.g. `DEBUG`, `INFO` or `WARNING`.",
    )
    upstream_url: str | None = setting(
        "UPSTREAM_URL",
        p.url,
        None,
        "The vendor API's base URL, e.g. `https://eu.api.capillarytech.com`; "
        "unset, the gateway serves the embedded sandbox upstream and talks to it over HTTP.",
    )
    upstream_authorization: str | None = setting(
        "UPSTREAM_AUTHORIZATION",
        p.credential,
        None,
        "The `Authorization` header sent upstream when a client sends none of its own "
        "(with the embedded sandbox, its demo credential).",
        secret=True,
    )
    promotion_path: str = setting(
        "UPSTREAM_PROMOTION_PATH",
        p.path,
        "/v1/api_gateway/loyalty/v1/programs/{programId}/promotions/{promotionId}",
        "The vendor's path of one promotion, by program and promotion id.",
    )
    promotion_list_path: str = setting(
        "UPSTREAM_PROMOTION_LIST_PATH",
        p.path,
        "/api_gateway/loyalty/v1/programs/promotions/list",
        "The vendor's path of the list of promotions.",
    )
    customer_promotions_path: str = setting(
        "UPSTREAM_CUSTOMER_PROMOTIONS_PATH",
        p.path,
        "/v2/customers/lookup/promotionData",
        "The vendor's path of one customer's promotions.",
    )
    upstream_timeout_s: float = setting(
        "UPSTREAM_TIMEOUT_S",
        p.positive_float,
        5.0,
        "The total deadline in seconds of one upstream call: connecting, the headers and the body.",
    )
    upstream_max_connections: int = setting(
        "UPSTREAM_MAX_CONNECTIONS",
        p.positive_int,
        100,
        "The size of each worker's keep-alive connection pool to the upstream.",
    )
    promotion_fanout: int = setting(
        "PROMOTION_FANOUT",
        p.positive_int,
        100,
        "Concurrent by-id calls one request may make, so that a page of up to 100 promotions "
        "loads in one round trip although the vendor has no batch endpoint (at most "
        "`UPSTREAM_MAX_CONNECTIONS`).",
    )
    cache_ttl_s: float = setting(
        "CACHE_TTL_S",
        p.non_negative_float,
        60.0,
        "How long in seconds promotions and list pages are cached across requests "
        "(an entry also expires at its promotion's next start or end).",
    )
    cache_max_entries: int = setting(
        "CACHE_MAX_ENTRIES",
        p.non_negative_int,
        10_000,
        "The most entries each cache (promotions, list pages) holds.",
    )
    list_page_size: int = setting(
        "LIST_PAGE_SIZE",
        p.page_size,
        100,
        "The page size asked of the vendor's list endpoint; the windows clients ask for are cut "
        "from cached pages.",
    )
    cache_key_secret: str = setting(
        "CACHE_KEY_SECRET",
        p.secret_key,
        Factory(_random_secret, "random per process"),
        "The key of the HMAC that scopes cache entries by credential, so that two credentials "
        "never share an entry.",
        secret=True,
    )
    redis_url: str | None = setting(
        "REDIS_URL",
        p.redis_url,
        None,
        "The Redis every replica shares (cache, in-flight leases, vendor quota, persisted "
        "queries, client rate limit, purge); unset, all of it stays in this process. "
        "Requires `CACHE_KEY_SECRET`, the same on every replica.",
        secret=True,
    )
    redis_key_prefix: str = setting(
        "REDIS_KEY_PREFIX",
        p.key_prefix,
        "promotions-gateway",
        "The namespace of every Redis key the gateway writes, so that several gateways "
        "(or environments) can share one Redis.",
    )
    redis_timeout_ms: float = setting(
        "REDIS_TIMEOUT_MS",
        p.positive_float,
        100.0,
        "The longest in milliseconds any one Redis command may take; past it, or while "
        "Redis's breaker is open, the gateway goes on without Redis.",
    )
    fleet_max_processes: int | None = setting(
        "FLEET_MAX_PROCESSES",
        p.positive_int,
        None,
        "While Redis is unreachable, each process keeps to `UPSTREAM_RATE_LIMIT_PER_MIN` "
        "divided by this (unset: `WEB_CONCURRENCY`), so the fleet stays within the quota.",
    )
    customer_cache_ttl_s: float = setting(
        "CUSTOMER_CACHE_TTL_S",
        p.non_negative_float,
        0.0,
        "How long in seconds a customer's promotions are shared across requests (and, with "
        "`REDIS_URL`, replicas), never served past it; 0 (the default) asks the vendor on every "
        "request, identical lookups in flight at once sharing one call.",
    )
    admin_token: str | None = setting(
        "ADMIN_TOKEN",
        p.secret_key,
        None,
        "The bearer token of `POST /admin/cache/purge` (a promotion, a program or everything, "
        "for every replica: docs/fleet.md); unset, the route does not exist.",
        secret=True,
    )
    sandbox_port: int = setting(
        "SANDBOX_PORT",
        p.port,
        8081,
        "The port the console script (`make run`) starts the embedded sandbox upstream on "
        "when `UPSTREAM_URL` is unset.",
    )
    operation_timeout_s: float = setting(
        "OPERATION_TIMEOUT_S",
        p.positive_float,
        10.0,
        "The budget in seconds of one GraphQL operation, shared by all of its upstream calls, "
        "retries and waits.",
    )
    upstream_max_retries: int = setting(
        "UPSTREAM_MAX_RETRIES",
        p.non_negative_int,
        2,
        "Retries of one idempotent upstream call, after connection errors and 502, 503, 504 "
        "or 429 answers only.",
    )
    upstream_retry_base_s: float = setting(
        "UPSTREAM_RETRY_BASE_S",
        p.non_negative_float,
        0.1,
        "The backoff base in seconds: retry n waits a random time between 0 and base·2ⁿ.",
    )
    upstream_retry_after_max_s: float = setting(
        "UPSTREAM_RETRY_AFTER_MAX_S",
        p.non_negative_float,
        5.0,
        "The longest `Retry-After` in seconds the gateway waits for; a call told to wait longer "
        "is not retried.",
    )
    upstream_retry_budget: float = setting(
        "UPSTREAM_RETRY_BUDGET",
        p.share,
        0.1,
        "Retries may be at most this share of the upstream calls of the last 10 seconds "
        "(plus 5), so that retries cannot multiply an outage.",
    )
    breaker_failure_threshold: int = setting(
        "BREAKER_FAILURE_THRESHOLD",
        p.positive_int,
        5,
        "Consecutive failures (5xx answers, timeouts, connection errors) that open an "
        "endpoint's circuit breaker.",
    )
    breaker_open_s: float = setting(
        "BREAKER_OPEN_S",
        p.positive_float,
        10.0,
        "How long in seconds an open breaker fails calls fast before it lets one probe through.",
    )
    stale_if_error_s: float = setting(
        "STALE_IF_ERROR_S",
        p.non_negative_float,
        3600.0,
        "How long in seconds past its TTL a cached entry may still be served when its refresh "
        "fails.",
    )
    cache_refresh_ahead_s: float = setting(
        "CACHE_REFRESH_AHEAD_S",
        p.non_negative_float,
        10.0,
        "A cache hit this close in seconds to its entry's expiry refreshes the entry in the "
        "background.",
    )
    cache_max_bytes: int = setting(
        "CACHE_MAX_BYTES",
        p.positive_int,
        256 * 1024 * 1024,
        "The byte bound of both caches (promotions, list pages) together, 256 MiB by default "
        "(approximate: entries are weighed by their pickled size).",
    )
    upstream_rate_limit_per_min: int = setting(
        "UPSTREAM_RATE_LIMIT_PER_MIN",
        p.positive_int,
        1000,
        "The vendor's quota of calls a minute per credential, for the whole fleet: with "
        "`REDIS_URL` every replica draws on it in Redis (one may use all of it while the "
        "others are idle); without, or while Redis is unreachable, each process keeps to "
        "`1/FLEET_MAX_PROCESSES` of it.",
    )
    upstream_rate_limit_max_wait_s: float = setting(
        "UPSTREAM_RATE_LIMIT_MAX_WAIT_S",
        p.non_negative_float,
        1.0,
        "The longest in seconds a call queues for the rate limit before failing with "
        "`RATE_LIMITED`.",
    )
    upstream_max_concurrency: int = setting(
        "UPSTREAM_MAX_CONCURRENCY",
        p.positive_int,
        100,
        "Upstream calls in flight per worker (at most `UPSTREAM_MAX_CONNECTIONS`); more wait "
        "in a queue of `UPSTREAM_MAX_QUEUE` calls, or fail fast when it is full.",
    )
    upstream_max_queue: int = setting(
        "UPSTREAM_MAX_QUEUE",
        p.non_negative_int,
        1024,
        "Upstream calls per worker that may wait for a free slot (see "
        "`UPSTREAM_MAX_CONCURRENCY`); beyond it a call fails at once with `OVERLOADED`.",
    )
    upstream_max_body_bytes: int = setting(
        "UPSTREAM_MAX_BODY_BYTES",
        p.positive_int,
        8 * 1024 * 1024,
        "The largest upstream response body read, in bytes once decoded (8 MiB by default).",
    )
    max_request_bytes: int = setting(
        "MAX_REQUEST_BYTES",
        p.positive_int,
        1024 * 1024,
        "The largest request body accepted in bytes, whether its length is declared or it is "
        "chunked (1 MiB by default); a larger one gets HTTP 413.",
    )
    max_concurrent_requests: int = setting(
        "MAX_CONCURRENT_REQUESTS",
        p.positive_int,
        256,
        "GraphQL requests in progress per worker; beyond it, HTTP 503 with `Retry-After`.",
    )
    shutdown_drain_s: float = setting(
        "SHUTDOWN_DRAIN_S",
        p.non_negative_float,
        0.0,
        "On SIGTERM, how long in seconds each worker goes on serving with /readyz answering "
        "503, for load balancers that poll it, before it stops accepting connections "
        "(then SHUTDOWN_GRACE_S). 0: it stops accepting at once (Kubernetes takes a "
        "terminating pod out of its endpoints itself; the preStop pause covers the delay).",
    )
    shutdown_grace_s: float = setting(
        "SHUTDOWN_GRACE_S",
        p.non_negative_float,
        20.0,
        "On SIGTERM, once draining is over, how long in seconds the requests in progress may "
        "take to finish.",
    )
    # Operation limits, checked before any upstream call (fragments counted where spread).
    max_depth: int = setting(
        "MAX_DEPTH",
        p.positive_int,
        15,
        "The deepest an operation's selections may nest, counting fragments where they are spread.",
    )
    max_aliases: int = setting(
        "MAX_ALIASES",
        p.non_negative_int,
        30,
        "The most aliases in one operation, counting fragments where they are spread.",
    )
    max_root_fields: int = setting(
        "MAX_ROOT_FIELDS",
        p.positive_int,
        10,
        "The most top-level fields in one operation, counting fragments where they are spread.",
    )
    max_fields: int = setting(
        "MAX_FIELDS",
        p.positive_int,
        500,
        "The most fields in one operation, counting fragments where they are spread.",
    )
    max_directives: int = setting(
        "MAX_DIRECTIVES",
        p.non_negative_int,
        50,
        "The most directives in one operation, counting fragments where they are spread.",
    )
    max_tokens: int = setting(
        "MAX_TOKENS",
        p.positive_int,
        3000,
        "The most tokens the parser reads of one document before giving up on it.",
    )
    max_upstream_calls_per_operation: int = setting(
        "MAX_UPSTREAM_CALLS_PER_OPERATION",
        p.positive_int,
        120,
        "The most upstream calls one operation may make, estimated before it runs and enforced "
        "while it runs.",
    )
    document_cache_entries: int = setting(
        "DOCUMENT_CACHE_ENTRIES",
        p.non_negative_int,
        512,
        "Documents that passed the limits and validation, remembered by their text so that "
        "repeats skip parsing and validation (0: off).",
    )
    subtree_cache_entries: int = setting(
        "SUBTREE_CACHE_ENTRIES",
        p.non_negative_int,
        4096,
        "Completed `Promotion` answers kept per cached promotion and selection, so that a warm "
        "promotion is not completed again on every request; answers that used variables, had "
        "errors or waited on a load are never kept (0: off).",
    )
    trusted_documents: str | None = setting(
        "TRUSTED_DOCUMENTS",
        p.file_path,
        None,
        "A JSON file, an Apollo persisted-query manifest or a Relay `{id: document}` map, whose "
        "documents are then the only ones that run.",
    )
    apq_max_entries: int = setting(
        "APQ_MAX_ENTRIES",
        p.non_negative_int,
        1000,
        "Automatic persisted queries remembered per worker (0: off; always off with "
        "`TRUSTED_DOCUMENTS`).",
    )
    apq_ttl_s: int = setting(
        "APQ_TTL_S",
        p.positive_int,
        86_400,
        "How long in seconds Redis keeps an automatic persisted query for every replica "
        "(with `REDIS_URL`; each registration starts it again). Documents over 64 KiB stay "
        "in the process that registered them.",
    )
    client_rate_limit_per_min: int = setting(
        "CLIENT_RATE_LIMIT_PER_MIN",
        p.non_negative_int,
        3000,
        "Requests a minute per credential, else per client address (0: no limit).",
    )
    cors_origins: tuple[str, ...] = setting(
        "CORS_ORIGINS",
        p.origins,
        (),
        "The origins allowed to call the gateway from a browser on another site, exact or "
        "wildcard subdomains (in development any `localhost` or `127.0.0.1` origin is allowed "
        "too; otherwise none: no CORS headers are sent).",
    )
    csrf_prevention: bool | None = setting(
        "CSRF_PREVENTION",
        p.boolean,
        None,
        "Refuse GET queries without a header that forces a CORS preflight (e.g. "
        "`Apollo-Require-Preflight: true`) or a persisted query id; unset: on in production, "
        "off in development (the gateway runs no mutation and reads no cookie).",
    )
    allow_explain: bool = setting(
        "ALLOW_EXPLAIN",
        p.boolean,
        False,
        "Honour `X-Gateway-Explain: 1` in production too (it is always honoured in development).",
    )
    fast_execution: bool = setting(
        "FAST_EXECUTION",
        p.boolean,
        True,
        "Serve plain selections with the compiled executor (schema/_engine); false runs "
        "strawberry's and graphql-core's own execution, for comparison or if an upgrade "
        "breaks the engine.",
    )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def requires_preflight_for_get(self) -> bool:
        """CSRF prevention for GET queries: CSRF_PREVENTION, else on in production."""
        return self.is_production if self.csrf_prevention is None else self.csrf_prevention

    @property
    def explain_allowed(self) -> bool:
        """Is `X-Gateway-Explain: 1` honoured?"""
        return not self.is_production or self.allow_explain

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from `environ` (else the process's environment): a variable unset or
        blank takes its default; one that cannot be used raises SettingsError naming it."""
        environ = os.environ if environ is None else environ
        settings = cls(**read_environment(cls, environ))
        if settings.redis_url and not environ.get("CACHE_KEY_SECRET", "").strip():
            raise SettingsError(
                "CACHE_KEY_SECRET is required with REDIS_URL: it scopes the shared cache by "
                "credential, so every replica must hold the same one (e.g. `openssl rand -hex 32`)"
            )
        if settings.promotion_fanout > settings.upstream_max_connections:
            raise SettingsError("PROMOTION_FANOUT must not exceed UPSTREAM_MAX_CONNECTIONS")
        if settings.upstream_max_concurrency > settings.upstream_max_connections:
            raise SettingsError(
                "UPSTREAM_MAX_CONCURRENCY must not exceed UPSTREAM_MAX_CONNECTIONS "
                "(calls beyond the pool would wait for a connection, not for a slot)"
            )
        return settings

    @property
    def upstream_rate_per_worker(self) -> float:
        """This worker's share of the vendor's quota, in calls per second: without Redis,
        and while Redis is unreachable (FLEET_MAX_PROCESSES, else WEB_CONCURRENCY)."""
        return self.upstream_rate_limit_per_min / 60 / (self.fleet_max_processes or self.workers)

    @property
    def redis_timeout_s(self) -> float:
        return self.redis_timeout_ms / 1000
