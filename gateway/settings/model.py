"""The gateway's configuration: one typed, immutable object read from the environment.

Every setting is documented in the README's settings table, under the same name.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

T = TypeVar("T")

Environment = Literal["development", "production"]

DEFAULT_PROMOTION_PATH = "/v1/api_gateway/loyalty/v1/programs/{programId}/promotions/{promotionId}"
DEFAULT_PROMOTION_LIST_PATH = "/api_gateway/loyalty/v1/programs/promotions/list"
DEFAULT_CUSTOMER_PROMOTIONS_PATH = "/v2/customers/lookup/promotionData"


class SettingsError(ValueError):
    """A setting from the environment that cannot be used."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    environment: Environment = "development"
    log_level: str = "INFO"
    # None: serve the embedded sandbox upstream and talk to it over HTTP.
    upstream_url: str | None = None
    # Sent upstream when a client sends no Authorization header of its own.
    upstream_authorization: str | None = field(default=None, repr=False)
    promotion_path: str = DEFAULT_PROMOTION_PATH
    promotion_list_path: str = DEFAULT_PROMOTION_LIST_PATH
    customer_promotions_path: str = DEFAULT_CUSTOMER_PROMOTIONS_PATH
    upstream_timeout_s: float = 5.0
    upstream_max_connections: int = 100
    # Concurrent by-id calls one request may make (the vendor has no batch endpoint):
    # a page of up to 100 promotions loads in one round trip.
    promotion_fanout: int = 100
    cache_ttl_s: float = 60.0
    cache_max_entries: int = 10_000
    # Page size asked of the list endpoint; windows are cut from cached pages.
    list_page_size: int = 100
    # Key of the HMAC that scopes cache entries by credential. Random if unset.
    cache_key_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    sandbox_port: int = 8081
    # The budget of one GraphQL operation, shared by all of its upstream calls.
    operation_timeout_s: float = 10.0
    # Retries of one idempotent call (connection errors, 502, 503, 504, 429).
    upstream_max_retries: int = 2
    upstream_retry_base_s: float = 0.1
    # The longest Retry-After the gateway honours (longer ones are capped).
    upstream_retry_after_max_s: float = 5.0
    # Retries may be at most this share of the calls of the last 10 s.
    upstream_retry_budget: float = 0.1
    breaker_failure_threshold: int = 5
    # How long an open breaker fails fast before it lets one probe through.
    breaker_open_s: float = 10.0
    # How long past their TTL cached entries may still be served when a refresh fails.
    stale_if_error_s: float = 3600.0
    # A hit this close to its expiry refreshes the entry in the background.
    cache_refresh_ahead_s: float = 10.0
    cache_max_bytes: int = 256 * 1024 * 1024
    # The vendor's quota per credential; each worker takes an equal share of it.
    upstream_rate_limit_per_min: int = 1000
    # The longest a call queues for the rate limit before failing with RATE_LIMITED.
    upstream_rate_limit_max_wait_s: float = 1.0
    # Upstream calls in flight per worker; more queue (up to the queue bound) or fail fast.
    upstream_max_concurrency: int = 100
    upstream_max_queue: int = 1024
    upstream_max_body_bytes: int = 8 * 1024 * 1024
    max_request_bytes: int = 1024 * 1024
    # GraphQL requests in progress per worker; beyond it, HTTP 503 with Retry-After.
    max_concurrent_requests: int = 256
    shutdown_grace_s: float = 20.0
    # Operation limits, checked before any upstream call (fragments counted where spread).
    max_depth: int = 15
    max_aliases: int = 30
    max_root_fields: int = 10
    max_fields: int = 500
    max_directives: int = 50
    max_tokens: int = 3000
    max_upstream_calls_per_operation: int = 120
    # Documents that passed validation, remembered by text so repeats skip parse and validation.
    document_cache_entries: int = 512
    subtree_cache_entries: int = 4096
    # An Apollo or Relay persisted-query manifest: only its documents run.
    trusted_documents: str | None = None
    # Automatic persisted queries remembered per worker (0: APQ off).
    apq_max_entries: int = 1000
    # Requests a minute per credential (else per client address); 0: no limit.
    client_rate_limit_per_min: int = 3000
    cors_origins: tuple[str, ...] = ()
    # Explain mode in production (always on in development) for X-Gateway-Explain: 1.
    allow_explain: bool = False

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        read = _Reader(env)
        defaults = cls()
        settings = cls(
            host=read("HOST", str, defaults.host),
            port=read("PORT", _port, defaults.port),
            workers=read("WEB_CONCURRENCY", _positive_int, defaults.workers),
            environment=read("GATEWAY_ENV", _environment, defaults.environment),
            log_level=read("LOG_LEVEL", str.upper, defaults.log_level),
            upstream_url=read("UPSTREAM_URL", _url, None),
            upstream_authorization=read("UPSTREAM_AUTHORIZATION", str, None),
            promotion_path=read("UPSTREAM_PROMOTION_PATH", _path, defaults.promotion_path),
            promotion_list_path=read(
                "UPSTREAM_PROMOTION_LIST_PATH", _path, defaults.promotion_list_path
            ),
            customer_promotions_path=read(
                "UPSTREAM_CUSTOMER_PROMOTIONS_PATH", _path, defaults.customer_promotions_path
            ),
            upstream_timeout_s=read(
                "UPSTREAM_TIMEOUT_S", _positive_float, defaults.upstream_timeout_s
            ),
            upstream_max_connections=read(
                "UPSTREAM_MAX_CONNECTIONS", _positive_int, defaults.upstream_max_connections
            ),
            promotion_fanout=read("PROMOTION_FANOUT", _positive_int, defaults.promotion_fanout),
            cache_ttl_s=read("CACHE_TTL_S", _non_negative_float, defaults.cache_ttl_s),
            cache_max_entries=read(
                "CACHE_MAX_ENTRIES", _non_negative_int, defaults.cache_max_entries
            ),
            list_page_size=read("LIST_PAGE_SIZE", _page_size, defaults.list_page_size),
            cache_key_secret=read("CACHE_KEY_SECRET", str, defaults.cache_key_secret),
            sandbox_port=read("SANDBOX_PORT", _port, defaults.sandbox_port),
            operation_timeout_s=read(
                "OPERATION_TIMEOUT_S", _positive_float, defaults.operation_timeout_s
            ),
            upstream_max_retries=read(
                "UPSTREAM_MAX_RETRIES", _non_negative_int, defaults.upstream_max_retries
            ),
            upstream_retry_base_s=read(
                "UPSTREAM_RETRY_BASE_S", _non_negative_float, defaults.upstream_retry_base_s
            ),
            upstream_retry_after_max_s=read(
                "UPSTREAM_RETRY_AFTER_MAX_S",
                _non_negative_float,
                defaults.upstream_retry_after_max_s,
            ),
            upstream_retry_budget=read(
                "UPSTREAM_RETRY_BUDGET", _share, defaults.upstream_retry_budget
            ),
            breaker_failure_threshold=read(
                "BREAKER_FAILURE_THRESHOLD", _positive_int, defaults.breaker_failure_threshold
            ),
            breaker_open_s=read("BREAKER_OPEN_S", _positive_float, defaults.breaker_open_s),
            stale_if_error_s=read(
                "STALE_IF_ERROR_S", _non_negative_float, defaults.stale_if_error_s
            ),
            cache_refresh_ahead_s=read(
                "CACHE_REFRESH_AHEAD_S", _non_negative_float, defaults.cache_refresh_ahead_s
            ),
            cache_max_bytes=read("CACHE_MAX_BYTES", _positive_int, defaults.cache_max_bytes),
            upstream_rate_limit_per_min=read(
                "UPSTREAM_RATE_LIMIT_PER_MIN", _positive_int, defaults.upstream_rate_limit_per_min
            ),
            upstream_rate_limit_max_wait_s=read(
                "UPSTREAM_RATE_LIMIT_MAX_WAIT_S",
                _non_negative_float,
                defaults.upstream_rate_limit_max_wait_s,
            ),
            upstream_max_concurrency=read(
                "UPSTREAM_MAX_CONCURRENCY", _positive_int, defaults.upstream_max_concurrency
            ),
            upstream_max_queue=read(
                "UPSTREAM_MAX_QUEUE", _non_negative_int, defaults.upstream_max_queue
            ),
            upstream_max_body_bytes=read(
                "UPSTREAM_MAX_BODY_BYTES", _positive_int, defaults.upstream_max_body_bytes
            ),
            max_request_bytes=read("MAX_REQUEST_BYTES", _positive_int, defaults.max_request_bytes),
            max_concurrent_requests=read(
                "MAX_CONCURRENT_REQUESTS", _positive_int, defaults.max_concurrent_requests
            ),
            shutdown_grace_s=read(
                "SHUTDOWN_GRACE_S", _non_negative_float, defaults.shutdown_grace_s
            ),
            max_depth=read("MAX_DEPTH", _positive_int, defaults.max_depth),
            max_aliases=read("MAX_ALIASES", _non_negative_int, defaults.max_aliases),
            max_root_fields=read("MAX_ROOT_FIELDS", _positive_int, defaults.max_root_fields),
            max_fields=read("MAX_FIELDS", _positive_int, defaults.max_fields),
            max_directives=read("MAX_DIRECTIVES", _non_negative_int, defaults.max_directives),
            max_tokens=read("MAX_TOKENS", _positive_int, defaults.max_tokens),
            max_upstream_calls_per_operation=read(
                "MAX_UPSTREAM_CALLS_PER_OPERATION",
                _positive_int,
                defaults.max_upstream_calls_per_operation,
            ),
            document_cache_entries=read(
                "DOCUMENT_CACHE_ENTRIES", _non_negative_int, defaults.document_cache_entries
            ),
            subtree_cache_entries=read(
                "SUBTREE_CACHE_ENTRIES", _non_negative_int, defaults.subtree_cache_entries
            ),
            trusted_documents=read("TRUSTED_DOCUMENTS", str, None),
            apq_max_entries=read("APQ_MAX_ENTRIES", _non_negative_int, defaults.apq_max_entries),
            client_rate_limit_per_min=read(
                "CLIENT_RATE_LIMIT_PER_MIN", _non_negative_int, defaults.client_rate_limit_per_min
            ),
            cors_origins=read("CORS_ORIGINS", _origins, defaults.cors_origins),
            allow_explain=read("ALLOW_EXPLAIN", _boolean, defaults.allow_explain),
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
        """This worker's share of the vendor's quota, in calls per second."""
        return self.upstream_rate_limit_per_min / 60 / self.workers


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __call__(self, name: str, convert: Callable[[str], T], default: T) -> T:
        raw = self._environ.get(name, "").strip()
        if not raw:
            return default
        try:
            return convert(raw)
        except ValueError as error:
            raise SettingsError(f"{name}={raw!r}: {error}") from None


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be greater than 0")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0:
        raise ValueError("must not be negative")
    return value


def _share(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 1:
        raise ValueError("must be between 0 and 1")
    return value


def _boolean(raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not an origin (https://host[:port])")
    return origins


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("must be a port number")
    return value


def _page_size(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 100:
        raise ValueError("must be between 1 and 100 (the upstream's maximum)")
    return value


def _environment(raw: str) -> Environment:
    value = raw.lower()
    if value == "development":
        return "development"
    if value == "production":
        return "production"
    raise ValueError("must be 'development' or 'production'")


def _url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return raw.rstrip("/")


def _path(raw: str) -> str:
    if not raw.startswith("/"):
        raise ValueError("must start with /")
    return raw
