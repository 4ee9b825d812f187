"""The request's record, as a schema extension finds it in the operation's context."""

from __future__ import annotations

from strawberry.extensions import SchemaExtension

from gateway.observability import RequestRecord


def request_record(extension: SchemaExtension) -> RequestRecord | None:
    """The context's `record` (None when the operation runs without one, as in some tests)."""
    found = getattr(extension.execution_context.context, "record", None)
    return found if isinstance(found, RequestRecord) else None
