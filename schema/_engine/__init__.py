"""The fast executor, private to `schema`: plain selections compiled into Python,
values at hand served without the resolver machinery, snapshot answers kept.

One entry point, `execution_context_class`, gives the class strawberry executes
with; `at_hand` is how a field declares a value it can serve synchronously.
Everything here is an optimisation: a schema built without it (the
`FAST_EXECUTION=false` setting) answers the same.
"""

from __future__ import annotations

from collections.abc import Mapping

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema._engine.at_hand import at_hand
from schema._engine.execution import (
    CompiledSelections,
    CompletedSubtrees,
    RecordOf,
    compiled_execution,
)


def execution_context_class(
    snapshots: Mapping[str, RecordOf], kept_answers: int
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """The execution context for a schema: `snapshots` names the types whose
    answers are a function of one record (kept up to `kept_answers` of them)."""
    return compiled_execution(
        CompiledSelections(), CompletedSubtrees(dict(snapshots), kept_answers)
    )


__all__ = ["at_hand", "execution_context_class"]
