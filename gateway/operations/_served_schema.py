"""The schema as the gateway serves it: the contract's types composed with the
extensions that guard, code, report and explain every operation.

Factories build each extension per request; the rule classes they add are
module-level, so validation caches keyed by rules still hit. Hooks leave in
reverse order: the report, first, sees the errors ErrorCodes has coded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.observability import Metrics, Tracing
from gateway.operations._cost import CostEstimates
from gateway.operations._error_codes import ErrorCodes
from gateway.operations._guard import (
    OPERATION_NAMED,
    AcceptedDocuments,
    OperationGuard,
    OperationPolicy,
    PreparedDocuments,
)
from gateway.operations._report import Explain, OperationReport, StaleReport
from gateway.settings import Settings
from schema import build_schema


class GatewaySchema(strawberry.Schema):
    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """strawberry's, telling the guard whether the request named its operation."""
        named = OPERATION_NAMED.set(operation_name is not None)
        try:
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        finally:
            OPERATION_NAMED.reset(named)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Errors are coded and logged by ErrorCodes; keep strawberry's logger quiet."""


def served_schema(
    settings: Settings,
    prepared: PreparedDocuments | None = None,
    metrics: Metrics | None = None,
    tracing: Tracing | None = None,
    trusted: Mapping[str, str] | None = None,
) -> GatewaySchema:
    """The schema with its guards. The `trusted` documents (bodies by id) are parsed,
    measured and validated into `prepared` now, under the guard's own policy: a
    document that fails raises BadRequest."""
    policy = OperationPolicy.from_settings(settings)
    documents = prepared or PreparedDocuments()
    accepted = AcceptedDocuments(settings.document_cache_entries)
    estimates = CostEstimates(
        list_page_size=settings.list_page_size, max_documents=settings.document_cache_entries
    )
    production = settings.is_production
    extensions: list[Any] = []
    if metrics is not None:
        tracer = tracing or Tracing()
        extensions.append(lambda: OperationReport(metrics=metrics, tracing=tracer))
    extensions += [
        lambda: ErrorCodes(hide_suggestions=production),
        lambda: OperationGuard(
            policy=policy, prepared=documents, accepted=accepted, estimates=estimates
        ),
        StaleReport,
        Explain,
    ]
    if production:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    schema = build_schema(
        extensions=extensions,
        fast_execution=settings.fast_execution,
        kept_answers=settings.subtree_cache_entries,
        schema_class=GatewaySchema,
    )
    assert isinstance(schema, GatewaySchema)
    if trusted:
        # strawberry keeps graphql-core's schema as `_schema` (listed in schema/_engine).
        documents.prepare(schema._schema, trusted, policy)
    return schema
