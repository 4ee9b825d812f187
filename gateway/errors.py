"""The gateway's errors: one small hierarchy, each class carrying its GraphQL code.

Resolvers and the upstream layer raise these; `gateway.operations._error_codes` turns them
into `extensions.code` once. Anything else that escapes is INTERNAL and masked.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GatewayError(Exception):
    """Base of every error the gateway reports on purpose."""

    code: ClassVar[str] = "INTERNAL"

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


class Forbidden(GatewayError):
    code = "FORBIDDEN"


class RateLimited(GatewayError):
    code = "RATE_LIMITED"


class UpstreamTimeout(GatewayError):
    code = "UPSTREAM_TIMEOUT"


class UpstreamUnavailable(GatewayError):
    code = "UPSTREAM_UNAVAILABLE"


class UpstreamBadResponse(GatewayError):
    code = "UPSTREAM_BAD_RESPONSE"


class Overloaded(GatewayError):
    """The gateway sheds work it cannot take on now; retry after `retryAfter` seconds."""

    code = "OVERLOADED"


class ShuttingDown(GatewayError):
    code = "SHUTTING_DOWN"


class PayloadTooLarge(GatewayError):
    code = "PAYLOAD_TOO_LARGE"


class BadRequest(GatewayError):
    """The HTTP request itself is refused (CSRF, batching, a malformed body)."""

    code = "BAD_REQUEST"


class OperationTooLarge(GatewayError):
    code = "OPERATION_LIMIT_EXCEEDED"


class CostLimitExceeded(GatewayError):
    code = "COST_LIMIT_EXCEEDED"


class PersistedQueryNotFound(GatewayError):
    code = "PERSISTED_QUERY_NOT_FOUND"


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
