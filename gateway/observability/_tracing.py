"""OpenTelemetry tracing: one span per GraphQL operation, one per upstream call.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OTLP variables then
configure the exporter). Never per field: a span per resolver costs 2-3x the
throughput. A client's W3C `traceparent` is the parent of the operation span,
and each upstream call carries its own span's `traceparent`. With tracing off,
a client's `traceparent` is passed upstream unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

SERVICE_NAME = "promotions-gateway"
_PROPAGATOR = TraceContextTextMapPropagator()


class Tracing:
    """The gateway's tracer, or nothing at all when tracing is off."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("gateway") if provider is not None else None

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Tracing:
        env = os.environ if environ is None else environ
        if not (
            env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        ):
            return cls()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        return cls(provider)

    @contextmanager
    def operation(self, name: str, traceparent: str | None) -> Iterator[Span | None]:
        """The operation's span (current while the operation runs)."""
        if self._tracer is None:
            yield None
            return
        parent = _PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})
        with self._tracer.start_as_current_span(
            f"graphql {name}", context=parent, kind=SpanKind.SERVER
        ) as span:
            span.set_attribute("graphql.operation.name", name)
            yield span

    @contextmanager
    def upstream_call(self, endpoint: str, headers: dict[str, str]) -> Iterator[Span | None]:
        """A span for one upstream call; its `traceparent` is put in `headers`."""
        if self._tracer is None:
            yield None
            return
        with self._tracer.start_as_current_span(
            f"upstream {endpoint}", kind=SpanKind.CLIENT
        ) as span:
            span.set_attribute("gateway.upstream.endpoint", endpoint)
            carrier: dict[str, str] = {}
            _PROPAGATOR.inject(carrier)
            headers.update(carrier)
            yield span

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()


def mark_failed(span: Span | None, code: str) -> None:
    if span is not None:
        span.set_status(Status(StatusCode.ERROR, code))
        span.set_attribute("gateway.error.code", code)


__all__ = ["Tracing", "mark_failed"]
