"""The served GraphQL schema: the public contract and everything the upstream adds."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.loaders.staleness import StaleReport
from gateway.observability.metrics import Metrics
from gateway.observability.tracing import Tracing
from gateway.operations.cost import CostEstimates
from gateway.operations.error_codes import ErrorCodes
from gateway.operations.guard import (
    AcceptedDocuments,
    OperationGuard,
    OperationPolicy,
    PreparedDocuments,
)
from gateway.operations.limits import OperationLimits
from gateway.operations.report import Explain, OperationReport
from gateway.settings import Settings
from schema._engine.execution import CompiledSelections, CompletedSubtrees, compiled_execution
from schema.names import NamesConvertedOnce
from schema.query import Query
from schema.scalars import SCALARS


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Errors are coded and logged by ErrorCodes; keep strawberry's logger quiet."""


def build_schema(
    settings: Settings | None = None,
    prepared: PreparedDocuments | None = None,
    metrics: Metrics | None = None,
    tracing: Tracing | None = None,
) -> strawberry.Schema:
    """The schema with its guards; `prepared` holds the trusted documents once parsed."""
    settings = settings or Settings()
    policy = operation_policy(settings)
    documents = prepared or PreparedDocuments()
    accepted = AcceptedDocuments(settings.document_cache_entries)
    estimates = CostEstimates(
        list_page_size=settings.list_page_size, max_documents=settings.document_cache_entries
    )
    production = settings.is_production
    # Factories build each extension per request; the rule classes they add are
    # module-level, so validation caches keyed by rules still hit. Hooks leave in
    # reverse order: the report, first, sees the errors ErrorCodes has coded.
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
    return GatewaySchema(
        query=Query,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS, name_converter=NamesConvertedOnce()),
        execution_context_class=compiled_execution(
            CompiledSelections(),
            # A promotion is served as its cached record, and its answer is a function of it.
            CompletedSubtrees(
                {"Promotion": lambda promotion: promotion}, settings.subtree_cache_entries
            ),
        ),
    )


def operation_policy(settings: Settings) -> OperationPolicy:
    return OperationPolicy(
        limits=OperationLimits(
            depth=settings.max_depth,
            aliases=settings.max_aliases,
            root_fields=settings.max_root_fields,
            fields=settings.max_fields,
            directives=settings.max_directives,
        ),
        max_tokens=settings.max_tokens,
        max_upstream_calls=settings.max_upstream_calls_per_operation,
    )


def served_sdl() -> str:
    return build_schema().as_str() + "\n"


__all__ = ["build_schema", "operation_policy", "served_sdl"]
