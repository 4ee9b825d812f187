"""Once per operation (never per field): metrics, the request record, explain mode.

`OperationReport` runs first among the schema's extensions, so it leaves last and
sees the errors already coded. `Explain` adds `extensions.explain` when the
request asked for it (and may); `StaleReport` adds `extensions.stale` when some
of the answer came from stale cache entries.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from gateway.loaders import StaleLog
from gateway.observability import Metrics, Tracing, mark_failed
from gateway.operations._record import request_record


class OperationReport(SchemaExtension):
    def __init__(self, *, metrics: Metrics, tracing: Tracing) -> None:
        self._metrics = metrics
        self._tracing = tracing

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        record = request_record(self)
        # The name is known once parsed; the span is renamed then.
        traceparent = record.traceparent if record is not None else None
        with self._tracing.operation("operation", traceparent) as span:
            yield
            label = self._report(started)
            if span is not None:
                span.update_name(f"graphql {label}")
                span.set_attribute("graphql.operation.name", label)
                if record is not None:
                    span.set_attribute("gateway.request_id", record.request_id)
                    span.set_attribute("gateway.upstream.calls", record.upstream_calls())
                    if record.error_codes:
                        mark_failed(span, record.error_codes[0])

    def _report(self, started: float) -> str:
        context = self.execution_context
        result = context.result
        errors = result.errors if result is not None and result.errors else []
        codes = [str((e.extensions or {}).get("code", "INTERNAL")) for e in errors]
        data = result.data if result is not None else None
        if not errors:
            outcome = "ok"
        elif data and any(value is not None for value in data.values()):
            outcome = "partial"
        else:
            outcome = "error"
        # The name sent, else the document's first operation's (strawberry's rule).
        label = self._metrics.operation_names.label(context.operation_name)
        metrics = self._metrics
        metrics.operations.labels(label, outcome).inc()
        metrics.operation_seconds.labels(label).observe(time.perf_counter() - started)
        for code in codes:
            metrics.errors.labels(code).inc()
        record = request_record(self)
        if record is not None:
            record.operation_name = label
            record.error_codes = codes
        return label


class Explain(SchemaExtension):
    def get_results(self) -> dict[str, Any]:
        record = request_record(self)
        if record is None or not record.explain:
            return {}
        return {"explain": record.explained()}


class StaleReport(SchemaExtension):
    """Adds `extensions.stale` to a response that holds stale data (once per operation)."""

    def get_results(self) -> dict[str, Any]:
        log = getattr(self.execution_context.context, "stale", None)
        if isinstance(log, StaleLog) and log.report():
            return {"stale": log.report()}
        return {}
