"""What the gateway tells its operators: Prometheus `Metrics`, OpenTelemetry
`Tracing`, structured logs (`configure_logging`, the access log `ACCESS`), and
each request's `RequestRecord` (its `UpstreamCall`s, for the log line and
explain mode). Every layer may use it; it uses none of them."""

from gateway.observability._logs import ACCESS, configure_logging
from gateway.observability._metrics import BREAKER_STATES, Metrics
from gateway.observability._request_record import RequestRecord, UpstreamCall
from gateway.observability._tracing import Tracing, mark_failed

__all__ = [
    "ACCESS",
    "BREAKER_STATES",
    "Metrics",
    "RequestRecord",
    "Tracing",
    "UpstreamCall",
    "configure_logging",
    "mark_failed",
]
