"""The gateway's errors: one small hierarchy, each class carrying its GraphQL code.

Resolvers and the upstream layer raise these; `gateway.operations._error_codes` turns them
into `extensions.code` once. Anything else that escapes is INTERNAL and masked.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GatewayError(Exception):
    """Base of every error the gateway reports on purpose."""

    code: ClassVar[str] = "INTERNAL"
    # The HTTP status when the error refuses a whole request (a field's error leaves
    # the response's status alone).
    status: ClassVar[int] = 400

    def __init__(
        self,
        message: str,
        *,
        upstream_code: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.upstream_code = upstream_code
        self.details = details or {}

    @property
    def extensions(self) -> dict[str, Any]:
        """What the client sees in `extensions` (graphql-core copies it over)."""
        extensions: dict[str, Any] = {"code": self.code, **self.details}
        if self.upstream_code is not None:
            extensions["upstreamCode"] = self.upstream_code
        return extensions


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"


class PromotionNotFound(GatewayError):
    code = "PROMOTION_NOT_FOUND"


class ProgramNotFound(GatewayError):
    code = "PROGRAM_NOT_FOUND"


class CustomerNotFound(GatewayError):
    code = "CUSTOMER_NOT_FOUND"


class Unauthenticated(GatewayError):
    code = "UNAUTHENTICATED"
    status = 401


class Forbidden(GatewayError):
    code = "FORBIDDEN"


class RateLimited(GatewayError):
    code = "RATE_LIMITED"
    status = 429


class UpstreamTimeout(GatewayError):
    code = "UPSTREAM_TIMEOUT"


class UpstreamUnavailable(GatewayError):
    code = "UPSTREAM_UNAVAILABLE"


class UpstreamBadResponse(GatewayError):
    code = "UPSTREAM_BAD_RESPONSE"


class Overloaded(GatewayError):
    """The gateway sheds work it cannot take on now; retry after `retryAfter` seconds."""

    code = "OVERLOADED"
    status = 503


class ShuttingDown(GatewayError):
    code = "SHUTTING_DOWN"
    status = 503


class PayloadTooLarge(GatewayError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class BadRequest(GatewayError):
    """The HTTP request itself is malformed (its body, a parameter, a batch)."""

    code = "BAD_REQUEST"


class CsrfPreflightRequired(GatewayError):
    """A GET query without a header that forces a CORS preflight, nor a persisted query id."""

    code = "CSRF_PREFLIGHT_REQUIRED"


class MethodNotAllowed(GatewayError):
    code = "METHOD_NOT_ALLOWED"
    status = 405


class UnsupportedMediaType(GatewayError):
    """A POST whose body is not `application/json`."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415


class NotAcceptable(GatewayError):
    """The client's Accept header takes neither JSON media type the gateway answers in."""

    code = "NOT_ACCEPTABLE"
    status = 406


class CorsOriginNotAllowed(GatewayError):
    """A CORS preflight from an origin, or asking for a method or header, not allowed."""

    code = "CORS_NOT_ALLOWED"


class PersistedQueryNotSupported(GatewayError):
    """Automatic persisted queries are off (Apollo Client then stops sending hashes)."""

    code = "PERSISTED_QUERY_NOT_SUPPORTED"


class OperationTooLarge(GatewayError):
    code = "OPERATION_LIMIT_EXCEEDED"


class CostLimitExceeded(GatewayError):
    code = "COST_LIMIT_EXCEEDED"


class PersistedQueryNotFound(GatewayError):
    """The protocol's first answer: the client then sends the query's text (so HTTP 200)."""

    code = "PERSISTED_QUERY_NOT_FOUND"
    status = 200


class PersistedQueryNotInList(GatewayError):
    code = "PERSISTED_QUERY_NOT_IN_LIST"


class QueryNotInSafelist(GatewayError):
    code = "QUERY_NOT_IN_SAFELIST"


# Failures of the upstream as a whole (not of the request): a stale copy may stand in.
UPSTREAM_FAILURES: tuple[type[GatewayError], ...] = (
    UpstreamTimeout,
    UpstreamUnavailable,
    UpstreamBadResponse,
    RateLimited,
    Overloaded,
)
