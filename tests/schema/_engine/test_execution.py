from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from inspect import isawaitable
from operator import attrgetter
from typing import Any

import pytest
import strawberry
from graphql import execute, execute_sync, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema._engine.at_hand import at_hand
from schema._engine.execution import CompiledSelections, CompletedSubtrees, compiled_execution
from tests.schema.agreement import assert_same_failure


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
    weight: float = 1.5
    ripe: bool = True


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
    Branch(
        id=strawberry.ID("1"),
        # An enum's raw value and an int for a Float take graphql-core's general way.
        leaves=[
            leaf("x"),
            leaf("y", Colour.BLUE),
            leaf("z", "BLUE"),  # type: ignore[arg-type]
            Leaf(name="w", at=None, colour=Colour.RED, tags=[], weight=2),
        ],
        best=leaf("x"),
    ),
    Branch(id=strawberry.ID("2"), leaves=[], best=None),
]


def counting(execution: type[Any], executed: list[str]) -> type[Any]:
    """`execution`, noting each field graphql-core itself executes."""

    class Counting(execution):  # type: ignore[misc]
        def execute_field(self, parent_type: Any, source: Any, details: Any, *args: Any) -> Any:
            executed.append(f"{parent_type.name}.{details[0].node.name.value}")
            return super().execute_field(parent_type, source, details, *args)

    return Counting


def schemas(
    branches: list[Branch],
    compiled: CompiledSelections | None = None,
    executed: list[str] | None = None,
    **options: Any,
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
    execution = compiled_execution(compiled or CompiledSelections())
    fast = strawberry.Schema(
        Query,
        execution_context_class=execution if executed is None else counting(execution, executed),
        **options,
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
fragment Leaves on Branch { leaves { name at colour tags weight ripe ... on Leaf { name } } }
"""


def both(
    branches: list[Branch],
    query: str,
    variables: dict[str, Any] | None = None,
    compiled: CompiledSelections | None = None,
    executed: list[str] | None = None,
    **options: Any,
) -> tuple[Any, Any]:
    plain, fast = schemas(branches, compiled, executed, **options)
    return (
        plain.execute_sync(query, variable_values=variables),
        fast.execute_sync(query, variable_values=variables),
    )


def test_plain_fields_answer_as_graphql_core_does() -> None:
    for with_best in (True, False):
        executed: list[str] = []
        expected, actual = both(BRANCHES, QUERY, {"withBest": with_best}, executed=executed)
        assert actual.errors is None
        assert actual.data == expected.data
        assert list(actual.data["branches"][0]) == list(expected.data["branches"][0])
        # Only fields with resolvers went through graphql-core; every plain one
        # (`id`, `leaves`, `best`, `alias`, all below) was read by compiled code.
        assert executed == ["Query.branches", "Branch.leafCount", "Branch.leafCount"]
    assert actual.data["branches"][0]["alias"] == {
        "__typename": "Leaf",
        "shout": "x",
        "at": "2026-01-02T00:00:00+00:00",
        "colour": "RED",
    }


def test_plain_selections_are_compiled_once_per_document() -> None:
    compiled = CompiledSelections()
    _, fast = schemas(BRANCHES, compiled)
    # The gateway keeps parsed documents, so a repeated query brings the same nodes.
    document = parse("{ branches { leafCount leaves { name tags } best { name } } }")
    execution = compiled_execution(compiled)
    assert execute_sync(fast._schema, document, executor_class=execution).errors is None
    first = dict(compiled._entries)
    assert execute_sync(fast._schema, document, executor_class=execution).errors is None
    # The second request found every compiled function it needed.
    assert compiled._entries.keys() == first.keys()
    assert all(compiled._entries[key] is first[key] for key in first)
    # Branch as a whole is not plain (`leafCount` has a resolver); `leaves` and
    # `best` are, each compiled as a field of Branch.
    outcomes = sorted(
        (key[0], nodes[0].name.value, function is not None)
        for key, (nodes, function) in first.items()
    )
    assert outcomes == [
        ("Branch", "branches", False),
        ("Branch.", "best", True),
        ("Branch.", "leafCount", False),
        ("Branch.", "leaves", True),
        ("Query.", "branches", False),
    ]


def test_a_null_in_a_non_null_field_gets_graphql_cores_error_and_path() -> None:
    broken = [Branch(id=strawberry.ID("1"), leaves=[leaf("x"), leaf(None)], best=None)]
    expected, actual = both(broken, "{ branches { leaves { name colour } } }")
    assert_same_failure(actual, expected)
    assert actual.errors[0].path == ["branches", 0, "leaves", 1, "name"]


@pytest.mark.parametrize(
    "broken_leaf",
    [
        leaf({"not": "a string"}),
        Leaf(name="x", at=None, colour=Colour.RED, tags=[], weight=float("nan")),
    ],
    ids=["an object for a String", "NaN for a Float"],
)
def test_a_value_a_scalar_cannot_serialize_gets_graphql_cores_error(broken_leaf: Leaf) -> None:
    broken = [Branch(id=strawberry.ID("1"), leaves=[broken_leaf], best=None)]
    expected, actual = both(broken, "{ branches { leaves { name weight } } }")
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

    executed: list[str] = []
    expected, actual = both(
        BRANCHES, "{ branches { best { name } } }", executed=executed, extensions=[Hook]
    )
    assert actual.data == expected.data
    assert seen.count("name") == 2  # once per schema, the compiled one included
    assert executed == ["Query.branches", "Branch.best", "Leaf.name", "Branch.best"]


@dataclass(frozen=True)
class Snapshot:
    name: str


@strawberry.type
class Card:
    title: str
    record: strawberry.Private[Snapshot]

    @strawberry.field
    def shout(self, info: strawberry.Info) -> str:
        info.context["shouted"].append(self.title)
        return self.title.upper()

    @strawberry.field
    def echo(self, text: str) -> str:
        return f"{self.title}:{text}"

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError("no")

    @strawberry.field
    async def later(self) -> str:
        return self.title


RECORDS = [Snapshot("a"), Snapshot("b")]


def card_schema(max_entries: int = 16) -> tuple[strawberry.Schema, CompletedSubtrees, type[Any]]:
    @strawberry.type
    class Query:
        @strawberry.field
        def cards(self) -> list[Card]:
            return [Card(title=record.name, record=record) for record in RECORDS]

    subtrees = CompletedSubtrees({"Card": attrgetter("record")}, max_entries)
    schema = strawberry.Schema(Query)
    return schema, subtrees, compiled_execution(CompiledSelections(), subtrees)


def run(
    schema: strawberry.Schema,
    execution: type[Any],
    document: Any,
    variables: dict[str, Any] | None = None,
) -> tuple[Any, list[str]]:
    shouted: list[str] = []
    result = execute_sync(
        schema._schema,
        document,
        context_value={"shouted": shouted},
        variable_values=variables,
        executor_class=execution,
    )
    return result, shouted


def test_a_snapshot_types_answer_is_completed_once_per_record_and_selection() -> None:
    schema, subtrees, execution = card_schema()
    document = parse("{ cards { title loud: shout } }")
    first, shouted = run(schema, execution, document)
    assert first.errors is None
    assert first.data == {"cards": [{"title": "a", "loud": "A"}, {"title": "b", "loud": "B"}]}
    assert shouted == ["a", "b"]
    again, shouted = run(schema, execution, document)
    assert again.data == first.data
    assert shouted == []  # both answers were kept
    assert len(subtrees) == 2
    # Another selection is another answer.
    other, shouted = run(schema, execution, parse("{ cards { shout } }"))
    assert other.data == {"cards": [{"shout": "A"}, {"shout": "B"}]}
    assert shouted == ["a", "b"]


def test_answers_that_use_variables_are_not_kept() -> None:
    schema, subtrees, execution = card_schema()
    document = parse("query ($t: String!) { cards { echo(text: $t) } }")
    for text in ("x", "y"):
        result, _ = run(schema, execution, document, {"t": text})
        assert result.data == {"cards": [{"echo": f"a:{text}"}, {"echo": f"b:{text}"}]}
    assert len(subtrees) == 0


def test_answers_with_errors_are_not_kept() -> None:
    schema, subtrees, execution = card_schema()
    document = parse("{ cards { title broken } }")
    for _ in range(2):
        result, _ = run(schema, execution, document)
        assert result.data == {"cards": [{"title": t, "broken": None} for t in "ab"]}
        assert [e.path for e in result.errors] == [["cards", 0, "broken"], ["cards", 1, "broken"]]
    assert len(subtrees) == 0


async def test_answers_completed_asynchronously_are_not_kept() -> None:
    schema, subtrees, execution = card_schema()
    outcome = execute(schema._schema, parse("{ cards { later } }"), executor_class=execution)
    assert isawaitable(outcome)
    result = await outcome
    assert result.data == {"cards": [{"later": "a"}, {"later": "b"}]}
    assert len(subtrees) == 0


def test_no_answers_are_kept_when_the_cache_has_no_room() -> None:
    schema, subtrees, execution = card_schema(max_entries=0)
    document = parse("{ cards { shout } }")
    for _ in range(2):
        _, shouted = run(schema, execution, document)
        assert shouted == ["a", "b"]
    assert len(subtrees) == 0


def card_at_hand(hand: Hand, context: dict[str, Any]) -> Card | None:
    card: Card | None = context["at_hand"].get(hand.key)
    return card


def cards_served(hands: list[Hand], context: dict[str, Any]) -> None:
    context["served"].extend(hand.key for hand in hands)
    context["reports"].append(len(hands))


def hand_card(hand: strawberry.Parent[Hand], info: strawberry.Info) -> Card | None:
    """The card at hand (served), or else one made the slow way."""
    info.context["resolved"].append(hand.key)
    card = card_at_hand(hand, info.context)
    if card is None:
        return Card(title=hand.key, record=Snapshot(hand.key))
    cards_served([hand], info.context)
    return card


def hand_named(hand: strawberry.Parent[Hand], suffix: str) -> str:
    return hand.key + suffix


@strawberry.type
class Hand:
    key: str
    mark: str = "m"
    card: Card | None = strawberry.field(
        resolver=hand_card, metadata=at_hand(card_at_hand, cards_served)
    )
    # Declared at hand, but its value depends on its argument: never looked up.
    named: str = strawberry.field(
        resolver=hand_named, metadata=at_hand(lambda *_: "at hand", cards_served)
    )


@strawberry.type
class Table:
    hands: list[Hand]  # a plain field: compiled code completes the whole list


AT_HAND = {"a": Card(title="a", record=RECORDS[0])}


def hand_schemas(
    executed: list[str] | None = None, **options: Any
) -> tuple[strawberry.Schema, strawberry.Schema, CompletedSubtrees]:
    """graphql-core alone, and with compiled code, at-hand values and kept Card answers
    (noting in `executed` the fields graphql-core itself executes)."""

    @strawberry.type
    class Query:
        @strawberry.field
        def hands(self, info: strawberry.Info) -> list[Hand]:
            hands: list[Hand] = info.context["hands"]
            return hands

        @strawberry.field
        def table(self, info: strawberry.Info) -> Table:
            return Table(hands=info.context["hands"])

    subtrees = CompletedSubtrees({"Card": attrgetter("record")}, 16)
    plain = strawberry.Schema(
        Query, execution_context_class=StrawberryGraphQLCoreExecutionContext, **options
    )
    execution = compiled_execution(CompiledSelections(), subtrees)
    if executed is not None:
        execution = counting(execution, executed)
    return plain, strawberry.Schema(Query, execution_context_class=execution, **options), subtrees


def hand_context(
    cards: dict[str, Card] = AT_HAND, hands: list[Hand] | None = None
) -> dict[str, Any]:
    return {
        "shouted": [],
        "resolved": [],
        "served": [],
        "reports": [],  # how many values each `served` call reported
        "at_hand": cards,
        "hands": [Hand(key="a"), Hand(key="z")] if hands is None else hands,
    }


def run_twice(schema: strawberry.Schema, query: str, **context: Any) -> tuple[Any, dict[str, Any]]:
    """The second of two runs of one parsed document (kept answers are found by its
    nodes), and that run's context."""
    document = parse(query)
    execution = schema.execution_context_class
    execute_sync(
        schema._schema, document, context_value=hand_context(**context), executor_class=execution
    )
    second = hand_context(**context)
    result = execute_sync(schema._schema, document, context_value=second, executor_class=execution)
    return result, second


def test_a_value_at_hand_is_completed_without_calling_its_resolver() -> None:
    plain, fast, _ = hand_schemas()
    query = "{ hands { key card { title shout } } }"
    expected = plain.execute_sync(query, context_value=(slow := hand_context()))
    actual = fast.execute_sync(query, context_value=(quick := hand_context()))
    assert actual.errors is None
    assert actual.data == expected.data
    assert expected.data == {
        "hands": [
            {"key": "a", "card": {"title": "a", "shout": "A"}},
            {"key": "z", "card": {"title": "z", "shout": "Z"}},
        ]
    }
    assert slow["resolved"] == ["a", "z"]
    assert quick["resolved"] == ["z"]  # "a" was at hand
    assert slow["served"] == quick["served"] == ["a"]


def test_compiled_code_serves_the_kept_answer_of_a_value_at_hand() -> None:
    executed: list[str] = []
    _, fast, subtrees = hand_schemas(executed)
    again, context = run_twice(fast, "{ hands { key card { shout } } }")
    assert again.data == {
        "hands": [{"key": "a", "card": {"shout": "A"}}, {"key": "z", "card": {"shout": "Z"}}]
    }
    # "a" came from its kept answer: neither resolved nor completed again, and
    # graphql-core executed none of its fields. ("z" is made anew by its resolver
    # each time, so its answer is never found again.)
    assert context["resolved"] == ["z"]
    assert context["shouted"] == ["z"]
    assert context["served"] == ["a"]
    assert executed[-3:] == ["Query.hands", "Hand.card", "Card.shout"]
    assert len(subtrees) == 3


def test_compiled_code_reports_a_lists_values_at_hand_at_once() -> None:
    _, fast, subtrees = hand_schemas()
    cards = {key: Card(title=key, record=Snapshot(key)) for key in "abc"}
    hands = [Hand(key=key) for key in "abc"]
    query = "{ table { hands { card { title } } } }"
    again, context = run_twice(fast, query, cards=cards, hands=hands)
    assert again.data == {"table": {"hands": [{"card": {"title": key}} for key in "abc"]}}
    assert context["served"] == ["a", "b", "c"]
    assert context["reports"] == [3]  # one report for the three kept answers
    # Each Card's selection is plain: compiled code completed it, and it was kept.
    assert len(subtrees) == 3
    # One not at hand: the compiled code gives up, and graphql-core serves each.
    hands.insert(2, Hand(key="z"))
    again, context = run_twice(fast, query, cards=cards, hands=hands)
    assert again.data == {"table": {"hands": [{"card": {"title": k}} for k in "abzc"]}}
    assert (context["served"], context["reports"]) == (["a", "b", "c"], [1, 1, 1])


def test_a_value_at_hand_is_served_once_when_compiled_code_gives_up_after_it() -> None:
    plain, fast, _ = hand_schemas()
    # `mark` is non-null: the compiled code serves "a"'s card, then gives up on the
    # null mark, and graphql-core does the whole Hand again.
    hands = [Hand(key="a", mark=None)]  # type: ignore[arg-type]
    query = "{ hands { card { shout } mark } }"
    again, context = run_twice(fast, query, hands=hands)
    expected = plain.execute_sync(query, context_value=hand_context(hands=hands))
    assert again.data == expected.data
    assert again.errors is not None
    assert expected.errors is not None
    assert [e.path for e in again.errors] == [e.path for e in expected.errors]
    assert context["served"] == ["a"]


def test_an_error_completing_a_value_at_hand_is_reported_as_graphql_core_does() -> None:
    plain, fast, subtrees = hand_schemas()
    query = "{ hands { card { title broken } } }"
    expected = plain.execute_sync(query, context_value=hand_context())
    actual = fast.execute_sync(query, context_value=hand_context())
    assert_same_failure(actual, expected)
    assert [e.path for e in expected.errors or ()] == [
        ["hands", 0, "card", "broken"],
        ["hands", 1, "card", "broken"],
    ]
    assert len(subtrees) == 0


def test_a_null_inside_a_value_at_hand_nulls_that_field_as_graphql_core_does() -> None:
    plain, fast, _ = hand_schemas()
    cards = {"a": Card(title=None, record=RECORDS[0])}  # type: ignore[arg-type]
    query = "{ hands { key card { title } } }"
    expected = plain.execute_sync(query, context_value=hand_context(cards))
    actual = fast.execute_sync(query, context_value=hand_context(cards))
    assert_same_failure(actual, expected)
    assert expected.data == {
        "hands": [{"key": "a", "card": None}, {"key": "z", "card": {"title": "z"}}]
    }


def test_a_field_with_arguments_is_never_looked_up() -> None:
    _, fast, _ = hand_schemas()
    context = hand_context()
    result = fast.execute_sync('{ hands { named(suffix: "!") } }', context_value=context)
    assert result.data == {"hands": [{"named": "a!"}, {"named": "z!"}]}
    assert context["served"] == []


async def test_a_value_at_hand_may_complete_asynchronously() -> None:
    _, fast, _ = hand_schemas()
    result = await fast.execute("{ hands { card { later } } }", context_value=hand_context())
    assert result.errors is None
    assert result.data == {"hands": [{"card": {"later": "a"}}, {"card": {"later": "z"}}]}
    # A null arriving late in a non-null field nulls the card, as graphql-core does.
    cards = {"a": Card(title=None, record=RECORDS[0])}  # type: ignore[arg-type]
    result = await fast.execute("{ hands { card { later } } }", context_value=hand_context(cards))
    assert result.data == {"hands": [{"card": None}, {"card": {"later": "z"}}]}
    assert result.errors is not None
    assert [e.path for e in result.errors] == [["hands", 0, "card", "later"]]


def test_fields_hooked_by_extensions_always_call_their_resolver() -> None:
    class Hook(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            return _next(root, info, *args, **kwargs)

    _, fast, _ = hand_schemas(extensions=[Hook])
    result = fast.execute_sync(
        "{ hands { card { title } } }", context_value=(context := hand_context())
    )
    assert result.errors is None
    assert context["resolved"] == ["a", "z"]
