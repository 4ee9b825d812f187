from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution import CompiledSelections, compiled_execution


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Leaf:
    name: str
    at: datetime | None
    colour: Colour
    tags: list[str]


@strawberry.type
class Branch:
    id: strawberry.ID
    leaves: list[Leaf]
    best: Leaf | None

    @strawberry.field
    def leaf_count(self) -> int:
        return len(self.leaves)


def leaf(name: Any, colour: Colour = Colour.RED) -> Leaf:
    return Leaf(name=name, at=datetime(2026, 1, 2, tzinfo=UTC), colour=colour, tags=["a", "b"])


BRANCHES = [
    Branch(id=strawberry.ID("1"), leaves=[leaf("x"), leaf("y", Colour.BLUE)], best=leaf("x")),
    Branch(id=strawberry.ID("2"), leaves=[], best=None),
]


def schemas(
    branches: list[Branch], compiled: CompiledSelections | None = None, **options: Any
) -> tuple[strawberry.Schema, strawberry.Schema]:
    """The same schema executed by graphql-core alone and with compiled plain subtrees."""

    @strawberry.type
    class Query:
        @strawberry.field
        def branches(self) -> list[Branch]:
            return branches

    plain = strawberry.Schema(
        Query, execution_context_class=StrawberryGraphQLCoreExecutionContext, **options
    )
    selections = compiled or CompiledSelections()
    fast = strawberry.Schema(
        Query, execution_context_class=compiled_execution(selections), **options
    )
    return plain, fast


QUERY = """
query ($withBest: Boolean!) {
  branches {
    id leafCount
    ...Leaves
    best @include(if: $withBest) { name }
    alias: best { __typename shout: name at colour }
  }
}
fragment Leaves on Branch { leaves { name at colour tags ... on Leaf { name } } }
"""


def both(
    branches: list[Branch],
    query: str,
    variables: dict[str, Any] | None = None,
    compiled: CompiledSelections | None = None,
    **options: Any,
) -> tuple[Any, Any]:
    plain, fast = schemas(branches, compiled, **options)
    return (
        plain.execute_sync(query, variable_values=variables),
        fast.execute_sync(query, variable_values=variables),
    )


def test_plain_subtrees_answer_as_graphql_core_does() -> None:
    for with_best in (True, False):
        compiled = CompiledSelections()
        expected, actual = both(BRANCHES, QUERY, {"withBest": with_best}, compiled)
        assert actual.errors is None
        assert actual.data == expected.data
        # The plain selections really went the compiled way: `leaves`, `alias: best`,
        # and the inside of `best` when @include lets graphql-core get that far.
        compiled_count = sum(function is not None for _, function in compiled._entries.values())
        assert compiled_count == 2 + with_best
    assert actual.data["branches"][0]["alias"] == {
        "__typename": "Leaf",
        "shout": "x",
        "at": "2026-01-02T00:00:00+00:00",
        "colour": "RED",
    }


def test_plain_subtrees_are_compiled_once_per_selection() -> None:
    compiled = CompiledSelections()
    calls: list[str] = []
    original = compiled.get

    def counting(*args: Any) -> Callable[[Any], Any] | None:
        calls.append(args[0].name)
        return original(*args)

    compiled.get = counting  # type: ignore[method-assign,assignment]

    @strawberry.type
    class Query:
        @strawberry.field
        def branches(self) -> list[Branch]:
            return BRANCHES

    schema = strawberry.Schema(Query, execution_context_class=compiled_execution(compiled))
    document = "{ branches { leafCount leaves { name tags } best { name } } }"
    result = schema.execute_sync(document)
    assert result.errors is None
    # Branch has a resolver (not plain); its `leaves` and `best` are: one lookup each.
    assert sorted(calls) == ["Branch", "Leaf", "Leaf"]
    outcomes = sorted(
        (key[0], function is not None) for key, (_, function) in compiled._entries.items()
    )
    assert outcomes == [("Branch", False), ("Leaf", True), ("Leaf", True)]


def test_a_null_in_a_non_null_field_gets_graphql_cores_error_and_path() -> None:
    broken = [Branch(id=strawberry.ID("1"), leaves=[leaf("x"), leaf(None)], best=None)]
    expected, actual = both(broken, "{ branches { leaves { name colour } } }")
    assert actual.data == expected.data
    assert actual.errors is not None
    assert expected.errors is not None
    assert [(e.message, e.path) for e in actual.errors] == [
        (e.message, e.path) for e in expected.errors
    ]
    assert actual.errors[0].path == ["branches", 0, "leaves", 1, "name"]


def test_a_value_a_scalar_cannot_serialize_gets_graphql_cores_error() -> None:
    broken = [Branch(id=strawberry.ID("1"), leaves=[leaf({"not": "a string"})], best=None)]
    expected, actual = both(broken, "{ branches { leaves { name } } }")
    assert actual.data == expected.data
    assert actual.errors is not None
    assert expected.errors is not None
    assert [e.message for e in actual.errors] == [e.message for e in expected.errors]


def test_extensions_hooking_fields_still_see_every_field() -> None:
    seen: list[str] = []

    class Hook(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    expected, actual = both(BRANCHES, "{ branches { best { name } } }", extensions=[Hook])
    assert actual.data == expected.data
    assert seen.count("name") == 2  # once per schema, the compiled one included
