"""The one client of the vendor's loyalty API, and the only code that knows its JSON.

`UpstreamClient` makes the calls (paths, query parameters, credentials,
deadline, retries with a budget, the vendor quota, a bound on calls in flight,
a circuit breaker per endpoint) over `AiohttpTransport`; `parsing` turns raw
JSON into the typed `records` everything above sees; `queries` are what the
gateway asks, as typed values.
"""

from gateway.upstream.client import UpstreamClient
from gateway.upstream.transport import AiohttpTransport

__all__ = ["AiohttpTransport", "UpstreamClient"]
