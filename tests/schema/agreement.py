"""What the schema tests hold compiled execution to: graphql-core's own answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from graphql import GraphQLError


class Result(Protocol):
    """An execution result, graphql-core's or strawberry's."""

    @property
    def data(self) -> Any: ...

    @property
    def errors(self) -> Sequence[GraphQLError] | None: ...


def assert_same_failure(actual: Result, expected: Result) -> None:
    """The same data, and the same errors (messages and paths), as graphql-core gave;
    and graphql-core did report an error."""
    assert actual.data == expected.data
    assert expected.errors is not None
    assert actual.errors is not None
    assert [(e.message, e.path) for e in actual.errors] == [
        (e.message, e.path) for e in expected.errors
    ]
