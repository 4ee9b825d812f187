"""What the gateway tells its operators: Prometheus `Metrics`, OpenTelemetry
`Tracing`, structured logs (`configure_logging`), and each request's
`RequestRecord` (its upstream calls, for the log line and explain mode)."""

from gateway.observability.logs import configure_logging
from gateway.observability.metrics import Metrics
from gateway.observability.request_record import RequestRecord, UpstreamCall
from gateway.observability.tracing import Tracing

__all__ = ["Metrics", "RequestRecord", "Tracing", "UpstreamCall", "configure_logging"]
