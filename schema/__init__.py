"""The served GraphQL schema: the public contract and everything the upstream adds."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.graphql_errors import ErrorCodes
from gateway.staleness import StaleReport
from schema.query import Query
from schema.scalars import SCALARS


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Errors are coded and logged by ErrorCodes; keep strawberry's logger quiet."""


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    # Extension instances (not factories): rules built per request defeat the cache.
    extensions: list[Any] = [ErrorCodes, StaleReport]
    if not introspection:
        extensions.append(AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return GatewaySchema(
        query=Query,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )


def served_sdl() -> str:
    return build_schema().as_str() + "\n"


__all__ = ["build_schema", "served_sdl"]
