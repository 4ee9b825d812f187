"""The one client of the vendor's loyalty API, and the only code that knows its JSON.

`records` and `queries` are the vocabulary every layer above shares; the rest
is private. `UpstreamClient` makes the calls (paths, query parameters,
credentials, deadline, retries with a budget, the vendor quota, a bound on calls
in flight, a circuit breaker per endpoint) over `AiohttpTransport`, on behalf of
a `Caller` (its deadline, where it reports). `_parsing` turns raw JSON into the
typed `records` everything above sees (`_usual_shape`, generated from `_tables`,
reads the customer view's usual shape fast). `queries` are what the gateway
asks, as typed values.
"""

from gateway.breaker import BreakerState
from gateway.upstream._calls import Caller
from gateway.upstream._client import UpstreamClient, promotion_page_params
from gateway.upstream._transport import AiohttpTransport

__all__ = [
    "AiohttpTransport",
    "BreakerState",
    "Caller",
    "UpstreamClient",
    "promotion_page_params",
]
