"""The ASGI edge: everything a GraphQL HTTP request meets before the schema.

Outside in: `RequestLog` (X-Request-ID, one line per request) -> CORS ->
`RequestLimits` (body size, requests in progress) -> `FrontDoor` (client rate
limit, CSRF, persisted and trusted documents) -> `GatewayGraphQL` (strawberry's
view, building each request's context). Also `/healthz` and `/readyz`
(`healthz`, `readiness`), the GraphiQL page (served by the view), and the
request's credential, read once (`Credentials`), and the operators' cache purge
(`CachePurge`, routed only with `ADMIN_TOKEN`).
"""

from gateway.http._admin import CachePurge
from gateway.http._credential import Credentials
from gateway.http._front_door import ClientRateLimit, FrontDoor
from gateway.http._health import healthz, readiness
from gateway.http._limits import RequestLimits
from gateway.http._request_log import RequestLog
from gateway.http._view import GatewayGraphQL

__all__ = [
    "CachePurge",
    "ClientRateLimit",
    "Credentials",
    "FrontDoor",
    "GatewayGraphQL",
    "RequestLimits",
    "RequestLog",
    "healthz",
    "readiness",
]
