"""The one client of the vendor's loyalty API, and the only code that knows its JSON.

`records` and `queries` are the vocabulary every layer above shares; the rest
is private. `UpstreamClient` makes the calls (paths, query parameters,
credentials, deadline, retries with a budget, the vendor quota, a bound on calls
in flight, a circuit breaker per endpoint) over `AiohttpTransport`, on behalf of
a `Caller` (its deadline, where it reports). `_parsing` turns raw JSON into the
typed `records` everything above sees (`_usual_shape`, generated from `_tables`,
reads the customer view's usual shape fast). `queries` are what the gateway
asks, as typed values. An `Answer` is a record with the JSON it was read from;
the `read_*` functions read one back from stored JSON (the shared cache's codec).
"""

from gateway.breaker import BreakerState
from gateway.upstream._answers import (
    Answer,
    read_customer_page,
    read_promotion,
    read_promotion_page,
)
from gateway.upstream._calls import Caller
from gateway.upstream._client import (
    UpstreamClient,
    customer_promotions_params,
    promotion_page_params,
)
from gateway.upstream._transport import AiohttpTransport

__all__ = [
    "AiohttpTransport",
    "Answer",
    "BreakerState",
    "Caller",
    "UpstreamClient",
    "customer_promotions_params",
    "promotion_page_params",
    "read_customer_page",
    "read_promotion",
    "read_promotion_page",
]
