"""The served GraphQL schema: the public contract and everything the upstream adds.

Exports `build_schema`, the schema with whatever extensions the caller composes
it with (the gateway adds its operation guards, error codes and reports; see
`gateway.operations`), and `served_sdl`, the schema as SDL. Nothing here imports
the HTTP edge or operations; nor observability directly (the request context the
resolvers get carries the request's record, so it is loaded with them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema._engine import execution_context_class
from schema.names import NamesConvertedOnce
from schema.query import Query
from schema.scalars import SCALARS


def build_schema(
    *,
    extensions: Sequence[Any] = (),
    fast_execution: bool = False,
    kept_answers: int = 0,
    schema_class: type[strawberry.Schema] = strawberry.Schema,
) -> strawberry.Schema:
    """The schema with `extensions`; `fast_execution` serves it with the compiled
    executor (`schema/_engine`), keeping up to `kept_answers` promotion answers.
    Plain strawberry execution unless asked: the gateway asks as its settings say."""
    return schema_class(
        query=Query,
        extensions=list(extensions),
        config=StrawberryConfig(scalar_map=SCALARS, name_converter=NamesConvertedOnce()),
        execution_context_class=(
            # A promotion is served as its cached record, and its answer is a function of it.
            execution_context_class({"Promotion": lambda promotion: promotion}, kept_answers)
            if fast_execution
            else None
        ),
    )


def served_sdl() -> str:
    return build_schema().as_str() + "\n"


__all__ = ["build_schema", "served_sdl"]
