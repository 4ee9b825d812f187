"""The ASGI edge: everything a GraphQL HTTP request meets before the schema.

Outside in: `RequestLog` (X-Request-ID, one line per request, refusals counted
by code) -> CORS (`cors`) -> `RequestLimits` (body size, requests in progress:
`Load`) -> `FrontDoor` (client rate limit, CSRF, the request's parameters,
persisted and trusted documents) -> `GatewayGraphQL` (strawberry's view speaking
GraphQL over HTTP: content negotiation and its status codes; building each
request's context). Every refusal on the way has one JSON shape with a stable
`extensions.code`. Also `/healthz` and `/readyz` (`healthz`, `Readiness`), the
IDE (`IdePage`: served by the view, its files under `IDE_ROUTE`), the
request's credential, read once (`Credentials`), and the operators' cache purge
(`CachePurge`, routed only with `ADMIN_TOKEN`).
"""

from gateway.http._admin import CachePurge
from gateway.http._cors import cors
from gateway.http._credential import Credentials
from gateway.http._front_door import ClientRateLimit, FrontDoor
from gateway.http._health import Readiness, healthz
from gateway.http._ide import ROUTE as IDE_ROUTE
from gateway.http._ide import IdePage
from gateway.http._limits import Load, RequestLimits
from gateway.http._request_log import RequestLog
from gateway.http._view import GatewayGraphQL

__all__ = [
    "IDE_ROUTE",
    "CachePurge",
    "ClientRateLimit",
    "Credentials",
    "FrontDoor",
    "GatewayGraphQL",
    "IdePage",
    "Load",
    "Readiness",
    "RequestLimits",
    "RequestLog",
    "cors",
    "healthz",
]
