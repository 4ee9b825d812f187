"""Prometheus metrics, served at /metrics; correct across worker processes.

With several workers the CLI points PROMETHEUS_MULTIPROC_DIR at a fresh
directory before any worker starts; every worker then writes its samples there
and whichever worker answers /metrics adds them all up (prometheus-client's
multiprocess mode). With one process, each app has its own registry.

No label ever holds a credential or a customer identifier. Operation names are
bounded: the first MAX_OPERATION_NAMES distinct, well-formed names a worker sees
get their own label value; the rest share "other".
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MAX_OPERATION_NAMES = 100
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_REDIS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)
_PIPELINE_BUCKETS = (1, 2, 5, 10, 25, 50, 100)

BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class OperationNames:
    """Maps operation names onto a bounded set of label values."""

    def __init__(self, limit: int = MAX_OPERATION_NAMES) -> None:
        self._limit = limit
        self._seen: set[str] = set()

    def allow(self, names: Iterable[str]) -> None:
        """Names that always get their own label (beyond the bound)."""
        self._seen.update(names)

    def label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if name in self._seen:
            return name
        if _NAME.fullmatch(name) and len(self._seen) < self._limit:
            self._seen.add(name)
            return name
        return "other"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.operation_names = OperationNames()
        self.operations = Counter(
            "graphql_operations",
            "GraphQL operations by name and outcome (ok, partial, error).",
            ["operation", "outcome"],
            registry=registry,
        )
        self.operation_seconds = Histogram(
            "graphql_operation_duration_seconds",
            "GraphQL operation latency.",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "graphql_errors", "GraphQL errors by extensions.code.", ["code"], registry=registry
        )
        self.responses = Counter(
            "http_responses",
            "GraphQL endpoint responses by status, refusals before the schema included.",
            ["status"],
            registry=registry,
        )
        self.upstream_calls = Counter(
            "upstream_calls",
            "Upstream HTTP calls (retries included) by endpoint and status.",
            ["endpoint", "status"],
            registry=registry,
        )
        self.upstream_seconds = Histogram(
            "upstream_call_duration_seconds",
            "Upstream call latency, per attempt.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.upstream_in_flight = Gauge(
            "upstream_calls_in_flight",
            "Upstream calls in flight.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.cache_events = Counter(
            "cache_events",
            "Cache lookups by cache and event (hit, miss, join, stale, refresh).",
            ["cache", "event"],
            registry=registry,
        )
        self.breaker_state = Gauge(
            "upstream_breaker_state",
            "Circuit breaker per endpoint: 0 closed, 1 half-open, 2 open (worst worker).",
            ["endpoint"],
            registry=registry,
            multiprocess_mode="max",
        )
        self.rate_limited = Counter(
            "rate_limit_rejections",
            "Requests or calls refused by a rate limit (client, upstream).",
            ["limit"],
            registry=registry,
        )
        self.redis_commands = Counter(
            "redis_commands",
            "Redis calls (a command, or the pipeline of one event-loop tick's commands) by "
            "what they were for and outcome (ok, error, timeout, busy: no connection free, "
            "late: this process too busy to read the reply in time, skipped while the "
            "breaker is open).",
            ["command", "outcome"],
            registry=registry,
        )
        self.redis_seconds = Histogram(
            "redis_command_duration_seconds",
            "Redis command latency, as the gateway waited for it.",
            ["command"],
            buckets=_REDIS_BUCKETS,
            registry=registry,
        )
        self.redis_pipeline_commands = Histogram(
            "redis_pipeline_commands",
            "Commands sent in one Redis pipeline (those asked for in one event-loop tick), "
            "by what they were for; redis_commands counts the pipelines.",
            ["command"],
            buckets=_PIPELINE_BUCKETS,
            registry=registry,
        )
        self.shared_cache_events = Counter(
            "shared_cache_events",
            "Shared (Redis) cache lookups by cache and event: hit, miss, invalid (a value that "
            "did not read), unavailable (Redis not usable), lease_wait (another replica was "
            "fetching), takeover (its lease expired or was given back without a value).",
            ["cache", "event"],
            registry=registry,
        )
        self.lease_wait_seconds = Histogram(
            "shared_cache_lease_wait_seconds",
            "How long a replica waited for another replica's fetch of the same entry.",
            ["cache"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.redis_breaker_state = Gauge(
            "redis_breaker_state",
            "Redis's circuit breaker: 0 closed, 1 half-open, 2 open (worst worker).",
            registry=registry,
            multiprocess_mode="max",
        )

    def exposition(self) -> tuple[bytes, str]:
        directory = multiprocess_dir()
        if directory is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST

    def process_exited(self) -> None:
        """Drop this worker's live gauges (multiprocess mode)."""
        directory = multiprocess_dir()
        if directory is not None:
            multiprocess.mark_process_dead(os.getpid(), path=directory)  # type: ignore[no-untyped-call]
