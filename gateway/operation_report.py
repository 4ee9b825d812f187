"""Once per operation (never per field): metrics, the request record, explain mode.

`OperationReport` runs first among the schema's extensions, so it leaves last and
sees the errors already coded. `Explain` adds `extensions.explain` when the
request asked for it (and may).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from gateway.metrics import Metrics
from gateway.request_record import RequestRecord


def _record(extension: SchemaExtension) -> RequestRecord | None:
    found = getattr(extension.execution_context.context, "record", None)
    return found if isinstance(found, RequestRecord) else None


class OperationReport(SchemaExtension):
    def __init__(self, *, metrics: Metrics) -> None:
        self._metrics = metrics

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        result = context.result
        errors = result.errors if result is not None and result.errors else []
        codes = [str((e.extensions or {}).get("code", "INTERNAL")) for e in errors]
        if not errors:
            outcome = "ok"
        elif result is not None and result.data:
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
        record = _record(self)
        if record is not None:
            record.operation_name = label
            record.error_codes = codes


class Explain(SchemaExtension):
    def get_results(self) -> dict[str, Any]:
        record = _record(self)
        if record is None or not record.explain:
            return {}
        return {"explain": record.explained()}
