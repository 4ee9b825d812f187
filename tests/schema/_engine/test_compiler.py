from __future__ import annotations

import enum
from operator import getitem
from typing import Any

import strawberry
from graphql import GraphQLObjectType, parse
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema._engine.compiler import compile_object, source_of
from schema._engine.execution import CompiledSelections, compiled_execution
from tests.schema.agreement import assert_same_failure


@strawberry.enum
class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


@strawberry.type
class Box:
    label: str
    count: int
    size: Size | None
    weights: list[float]


def schemas(
    boxes: list[Any], executed: list[str] | None = None, **options: Any
) -> tuple[strawberry.Schema, strawberry.Schema]:
    """The same schema executed by graphql-core alone and with compiled code; the
    fields graphql-core itself executes on the second are noted in `executed`."""
    noted = [] if executed is None else executed

    class Noting(compiled_execution(CompiledSelections())):  # type: ignore[misc]
        def execute_field(self, parent_type: Any, source: Any, details: Any, *args: Any) -> Any:
            noted.append(f"{parent_type.name}.{details[0].node.name.value}")
            return super().execute_field(parent_type, source, details, *args)

    @strawberry.type
    class Query:
        @strawberry.field
        def boxes(self) -> list[Box]:
            return boxes

    plain = strawberry.Schema(
        Query, execution_context_class=StrawberryGraphQLCoreExecutionContext, **options
    )
    fast = strawberry.Schema(Query, execution_context_class=Noting, **options)
    return plain, fast


def answers(
    boxes: list[Any], query: str, executed: list[str] | None = None, **options: Any
) -> tuple[Any, Any]:
    plain, fast = schemas(boxes, executed, **options)
    return plain.execute_sync(query), fast.execute_sync(query)


QUERY = "{ boxes { label count size weights } }"


def test_ints_enums_and_lists_answer_as_graphql_core_does() -> None:
    boxes = [
        Box(label="a", count=3, size=Size.SMALL, weights=[1.5, 2.0]),
        # Not the exact types: graphql-core's serializers decide, and agree.
        Box(label="b", count=True, size="l", weights=[2]),  # type: ignore[arg-type]
        Box(label="c", count=2.0, size=None, weights=[]),  # type: ignore[arg-type]
    ]
    expected, actual = answers(boxes, QUERY)
    assert expected.errors is None
    assert actual.errors is None
    assert actual.data == expected.data
    assert actual.data["boxes"][1] == {"label": "b", "count": 1, "size": "LARGE", "weights": [2.0]}


def test_an_int_beyond_32_bits_gets_graphql_cores_error() -> None:
    boxes = [Box(label="a", count=2**31, size=None, weights=[])]
    expected, actual = answers(boxes, QUERY)
    assert_same_failure(actual, expected)
    assert actual.errors[0].path == ["boxes", 0, "count"]


def test_a_custom_default_resolver_reads_each_field() -> None:
    boxes = [{"label": "a", "count": 1, "size": Size.LARGE, "weights": [0.5]}]
    config = StrawberryConfig(default_resolver=getitem)
    executed: list[str] = []
    expected, actual = answers(boxes, QUERY, executed, config=config)
    assert expected.errors is None
    assert actual.data == expected.data
    assert actual.data["boxes"] == [{"label": "a", "count": 1, "size": "LARGE", "weights": [0.5]}]
    # Compiled code read every Box field (graphql-core ran only the resolver).
    assert executed == ["Query.boxes"]


def test_a_list_field_holding_no_list_gets_graphql_cores_error() -> None:
    for weights in (7, "12"):
        boxes = [Box(label="a", count=1, size=None, weights=weights)]  # type: ignore[arg-type]
        expected, actual = answers(boxes, QUERY)
        assert_same_failure(actual, expected)


def test_the_generated_code_can_be_read() -> None:
    plain, _ = schemas([])
    box = plain._schema.type_map["Box"]
    assert isinstance(box, GraphQLObjectType)
    document = parse("{ boxes { renamed: label count } }")
    (boxes,) = document.definitions[0].selection_set.selections  # type: ignore[attr-defined]
    complete = compile_object(box, [boxes], {})
    assert complete is not None
    assert complete(Box(label="a", count=1, size=None, weights=[]), None) == {
        "renamed": "a",
        "count": 1,
    }
    text = source_of(complete)
    assert text.startswith("def complete(source, context):")
    assert "source.label" in text
    assert "'renamed':" in text
