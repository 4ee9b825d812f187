"""Every GraphQL error leaves with a stable `extensions.code`, mapped here once.

GatewayError subclasses carry their own code. Parse and validation failures are
GRAPHQL_PARSE_FAILED and GRAPHQL_VALIDATION_FAILED (a document over the token
limit is OPERATION_LIMIT_EXCEEDED); bad variable values are BAD_USER_INPUT. In
production, "Did you mean" suggestions are cut from every message. Anything
else is INTERNAL: the client sees a fixed message, the log gets the exception.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.errors import GatewayError

logger = logging.getLogger("gateway.errors")

INTERNAL_MESSAGE = "Internal error."

# graphql-core appends " Did you mean 'x', 'y' or 'z'?" to field, argument, type and
# enum value errors; in production they would map the schema for a prober.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
_TOO_MANY_TOKENS = re.compile(r"Document contains more than (\d+) tokens")


class ErrorCodes(SchemaExtension):
    """Rewrites the operation's errors once, after it ran (never per field)."""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        self._hide_suggestions = hide_suggestions

    def on_operation(self) -> Iterator[None]:
        self._phase = "parse"
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [
                coded(error, self._phase, hide_suggestions=self._hide_suggestions)
                for error in result.errors
            ]

    def on_validate(self) -> Iterator[None]:
        self._phase = "validate"
        yield

    def on_execute(self) -> Iterator[None]:
        self._phase = "execute"
        yield


def coded(error: GraphQLError, phase: str, *, hide_suggestions: bool = False) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GatewayError):
        return _with_extensions(error, original.message, original.extensions)
    message = _SUGGESTION.sub("", error.message) if hide_suggestions else error.message
    if phase == "parse":
        too_many = _TOO_MANY_TOKENS.search(message)
        if too_many:
            # The parser stops at the limit: the document has at least one token more.
            allowed = int(too_many.group(1))
            extensions: dict[str, object] = {
                "code": "OPERATION_LIMIT_EXCEEDED",
                "limit": "tokens",
                "max": allowed,
                "actual": allowed + 1,
            }
            return _with_extensions(error, message, extensions)
        return _with_extensions(error, message, {"code": "GRAPHQL_PARSE_FAILED"})
    if phase == "validate":
        return _with_extensions(error, message, {"code": "GRAPHQL_VALIDATION_FAILED"})
    if error.path is None or original is None:
        # Not a field's failure: the variables did not coerce.
        return _with_extensions(error, message, {"code": "BAD_USER_INPUT"})
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
