"""Every GraphQL error leaves with a stable `extensions.code`, mapped here once.

GatewayError subclasses carry their own code. Parse and validation failures are
GRAPHQL_PARSE_FAILED and GRAPHQL_VALIDATION_FAILED; bad variable values are
BAD_USER_INPUT. Anything else is INTERNAL: the client sees a fixed message,
the log gets the exception.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.errors import GatewayError

logger = logging.getLogger("gateway.errors")

INTERNAL_MESSAGE = "Internal error."


class ErrorCodes(SchemaExtension):
    """Rewrites the operation's errors once, after it ran (never per field)."""

    def on_operation(self) -> Iterator[None]:
        self._phase = "parse"
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(error, self._phase) for error in result.errors]

    def on_validate(self) -> Iterator[None]:
        self._phase = "validate"
        yield

    def on_execute(self) -> Iterator[None]:
        self._phase = "execute"
        yield


def coded(error: GraphQLError, phase: str) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GatewayError):
        return _with_extensions(error, original.message, original.extensions)
    if phase == "parse":
        return _with_extensions(error, error.message, {"code": "GRAPHQL_PARSE_FAILED"})
    if phase == "validate":
        return _with_extensions(error, error.message, {"code": "GRAPHQL_VALIDATION_FAILED"})
    if error.path is None or original is None:
        # Not a field's failure: the variables did not coerce.
        return _with_extensions(error, error.message, {"code": "BAD_USER_INPUT"})
    logger.error("unexpected error at %s", ".".join(map(str, error.path or ())), exc_info=original)
    return _with_extensions(error, INTERNAL_MESSAGE, {"code": "INTERNAL"})


def _with_extensions(
    error: GraphQLError, message: str, extensions: dict[str, object]
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )
