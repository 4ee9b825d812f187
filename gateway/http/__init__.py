"""The ASGI edge: everything a GraphQL HTTP request meets before the schema.

Outside in: `RequestLog` (X-Request-ID, one line per request) -> CORS ->
`RequestLimits` (body size, requests in progress) -> `FrontDoor` (client rate
limit, CSRF, persisted and trusted documents) -> `GatewayGraphQL` (strawberry's
view, building each request's context). Also `/healthz` and `/readyz`
(`healthz`, `readiness`), the IDE (`IdePage`: served by the view, its files
under `IDE_ROUTE`), and the request's credential, read once (`Credentials`).
"""

from gateway.http._credential import Credentials
from gateway.http._front_door import ClientRateLimit, FrontDoor
from gateway.http._health import healthz, readiness
from gateway.http._ide import ROUTE as IDE_ROUTE
from gateway.http._ide import IdePage
from gateway.http._limits import RequestLimits
from gateway.http._request_log import RequestLog
from gateway.http._view import GatewayGraphQL

__all__ = [
    "IDE_ROUTE",
    "ClientRateLimit",
    "Credentials",
    "FrontDoor",
    "GatewayGraphQL",
    "IdePage",
    "RequestLimits",
    "RequestLog",
    "healthz",
    "readiness",
]
