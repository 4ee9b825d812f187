"""The canary: every graphql-core and strawberry internal the engine relies on
(`schema/_engine/_internals.py`, described in `schema/_engine/__init__.py`) is still
there, with the signature, the instance attributes and (for the executor's methods
the engine overrides or writes out) the code it was read against; and the behaviour
the docstring states still holds. An upgrade that moves any of them fails here,
loudly, instead of leaving the engine to answer the old way.

When a fingerprint fails: read graphql-core's new code against what the engine
does in its place (the docstring's bullet says what), change the engine if need
be, then put the new fingerprint (in the failure message) in `_internals.py`.
"""

from __future__ import annotations

import ast
import enum
import hashlib
import importlib
import inspect
import io
import re
import textwrap
import tokenize
from collections.abc import Callable, Iterator
from typing import Any, get_origin

import pytest
import strawberry
from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    FragmentDefinitionNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLString,
    parse,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import Executor
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types.field import StrawberryField

import schema._engine as engine
from schema._engine._internals import INTERNALS, Internal
from schema._engine.compiler import _AS_IS, _enum_names
from schema._engine.execution import CompiledSelections, _uses_variables, compiled_execution

# ------------------------------------------------------------------ the checks


def find(name: str) -> object:
    """The object `module:qualified.name` names."""
    module_name, _, qualname = name.partition(":")
    found: object = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def fingerprint(function: object) -> str:
    """The shape of a function's code: its source without the docstring, comments
    and blank lines, with each line's indentation and its words (so a reformatted
    file or a new comment does not count as a change, a moved statement does)."""
    source = textwrap.dedent(inspect.getsource(function))  # type: ignore[arg-type]
    definition = ast.parse(source).body[0]
    assert isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef)
    skipped: set[int] = set()
    first = definition.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        skipped.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    comments = {
        token.start[0]: token.start[1]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    shape = []
    for number, line in enumerate(source.splitlines(), 1):
        code = line[: comments.get(number, len(line))]
        if number in skipped or not code.strip():
            continue
        shape.append(f"{len(code) - len(code.lstrip())} {' '.join(code.split())}")
    return hashlib.sha256("\n".join(shape).encode()).hexdigest()[:16]


def check(internal: Internal, instances: dict[str, object]) -> None:
    """Raises AssertionError, saying what changed, unless `internal` is as we rely on."""
    try:
        found = find(internal.name)
    except (ImportError, AttributeError) as error:
        raise AssertionError(f"{internal.name} is gone ({error})") from error
    if internal.parameters is not None or internal.keywords:
        assert callable(found), f"{internal.name} is no longer callable"
        names = tuple(inspect.signature(found).parameters)
        expected = internal.parameters
        assert expected is None or names == expected, (
            f"{internal.name} now takes {names}; the engine relies on {expected}"
        )
        missing = [keyword for keyword in internal.keywords if keyword not in names]
        assert not missing, f"{internal.name} no longer takes {missing}"
    if internal.attributes:
        assert internal.name in instances, f"the canary builds no instance for {internal.name}"
        instance = instances[internal.name]
        missing = [name for name in internal.attributes if not hasattr(instance, name)]
        assert not missing, f"{internal.name}: an instance no longer has {missing}"
    if internal.fingerprint is not None:
        now = fingerprint(found)
        assert now == internal.fingerprint, (
            f"{internal.name} changed (fingerprint {internal.fingerprint!r}, now {now!r}): "
            "read it against the engine (schema/_engine/__init__.py says what the engine "
            "does in its place), then update its fingerprint in schema/_engine/_internals.py"
        )


# ------------------------------------------------------------------ a tiny schema


@strawberry.enum
class Suit(enum.Enum):
    HEARTS = "hearts"
    SPADES = "spades"


@strawberry.type
class Card:
    rank: int
    suit: Suit
    note: str = strawberry.field(default="", metadata={"canary": 1})

    @strawberry.field
    def name(self, info: strawberry.Info) -> str:
        SEEN.append(info)
        return f"{self.rank} of {self.suit.value}"


@strawberry.type
class Hand:
    cards: list[Card]
    owner: strawberry.ID
    bet: float
    open: bool


@strawberry.type
class Query:
    @strawberry.field
    def hand(self) -> Hand:
        cards = [Card(rank=7, suit=Suit.HEARTS), Card(rank=1, suit=Suit.SPADES)]
        return Hand(cards=cards, owner=strawberry.ID("p1"), bet=1.5, open=True)

    @strawberry.field
    def fold(self) -> Hand | None:
        raise ValueError("folded")


QUERY = "{ hand { owner bet open cards { rank suit note name } } }"
SEEN: list[strawberry.Info] = []


def recording(
    base: type[StrawberryGraphQLCoreExecutionContext] = StrawberryGraphQLCoreExecutionContext,
) -> tuple[type[StrawberryGraphQLCoreExecutionContext], list[Any]]:
    """`base`, noting each executor made and each overridden method it runs."""
    made: list[Any] = []

    class Recording(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.ran: set[str] = set()
            made.append(self)

        def execute_fields(self, *args: Any) -> Any:
            self.ran.add("execute_fields")
            return super().execute_fields(*args)

        def execute_field(self, *args: Any) -> Any:
            self.ran.add("execute_field")
            return super().execute_field(*args)

        def complete_object_value(self, *args: Any) -> Any:
            self.ran.add("complete_object_value")
            return super().complete_object_value(*args)

    return Recording, made


def field(schema: strawberry.Schema, type_name: str, name: str) -> GraphQLField:
    found = schema._schema.get_type(type_name)
    assert isinstance(found, GraphQLObjectType)
    graphql_field: GraphQLField = found.fields[name]
    return graphql_field


@pytest.fixture(scope="module")
def instances() -> dict[str, object]:
    """An instance of each class whose instance attributes we read, built by strawberry
    and graphql-core themselves: the executor is strawberry's own, not the engine's
    (which sets some of those attributes itself)."""
    execution, made = recording()
    schema = strawberry.Schema(Query, execution_context_class=execution)
    SEEN.clear()
    assert schema.execute_sync(QUERY).errors is None
    rank = field(schema, "Card", "rank")
    return {
        "graphql.execution.executor:Executor": made[0],
        "graphql.execution.middleware:MiddlewareManager": made[0].middleware_manager,
        "graphql:GraphQLScalarType": schema._schema.get_type("Int"),
        "graphql:GraphQLObjectType": schema._schema.get_type("Card"),
        "strawberry.schema.schema_converter:GraphQLCoreConverter.from_resolver": rank.resolve,
        "strawberry.types.field:StrawberryField": rank.extensions[
            GraphQLCoreConverter.DEFINITION_BACKREF
        ],
        "strawberry.schema.schema_converter:CustomGraphQLEnumType": schema._schema.get_type("Suit"),
        "strawberry.types.info:Info": SEEN[0],
        "strawberry.schema.schema:Schema": schema,
    }


# ------------------------------------------------------------------ each internal is there


@pytest.mark.parametrize("internal", INTERNALS, ids=lambda internal: internal.short)
def test_each_internal_is_as_the_engine_relies_on(
    internal: Internal, instances: dict[str, object]
) -> None:
    check(internal, instances)


def _as_read() -> Callable[[list[int]], None]:
    def step(items: list[int]) -> None:
        items.append(1)
        items.sort()

    return step


def _commented() -> Callable[[list[int]], None]:
    def step(items: list[int]) -> None:
        """A docstring the first read had not."""
        # A comment, and a blank line below.
        items.append(1)  # and one more

        items.sort()

    return step


def _swapped() -> Callable[[list[int]], None]:
    def step(items: list[int]) -> None:
        items.sort()
        items.append(1)

    return step


def _reindented() -> Callable[[list[int]], None]:
    def step(items: list[int]) -> None:
        if items:
            items.append(1)
        items.sort()

    return step


def test_a_fingerprint_ignores_docstrings_comments_and_blank_lines_but_not_statements() -> None:
    read = fingerprint(_as_read())
    assert fingerprint(_commented()) == read
    assert fingerprint(_swapped()) != read
    assert fingerprint(_reindented()) != read


def test_the_canary_fails_when_a_name_goes_or_a_signature_attribute_or_body_changes(
    instances: dict[str, object],
) -> None:
    execute_field = "graphql.execution.executor:Executor.execute_field"
    changed = [
        Internal("graphql.execution.executor:Executor.execute_the_field"),
        Internal("graphql.no_such_module:Executor"),
        Internal(execute_field, parameters=("self", "parent_type", "source", "path")),
        Internal("strawberry.schema.schema:Schema.__init__", keywords=("executor_class",)),
        Internal("strawberry.types.info:Info", attributes=("_raw_info", "_raw")),
        Internal("graphql:Visitor", attributes=("enter",)),  # no instance built for it
        Internal(execute_field, fingerprint="0" * 16),
    ]
    for internal in changed:
        with pytest.raises(AssertionError):
            check(internal, instances)


def test_the_docstring_lists_every_internal_with_its_signature_and_attributes() -> None:
    """`schema/_engine/__init__.py` has one bullet per entry of INTERNALS, naming it first,
    then its parameters (without self) and its attributes."""
    doc = engine.__doc__ or ""
    bullets = {
        name: " ".join(text.split())
        for name, text in re.findall(r"^- `([^`]+)`(.*?)(?=^- |^\S|\Z)", doc, re.M | re.S)
    }
    assert sorted(bullets) == sorted(internal.short for internal in INTERNALS)
    for internal in INTERNALS:
        text = bullets[internal.short]
        parameters = [p for p in internal.parameters or () if p != "self"]
        if parameters:
            assert f"({', '.join(parameters)})" in text, internal.short
        for keyword in internal.keywords:
            assert keyword in text, internal.short
        for attribute in internal.attributes:
            assert f".{attribute}" in text, (internal.short, attribute)


# ------------------------------------------------------------------ what each one does


def test_strawberry_executes_with_the_execution_context_class_it_was_given() -> None:
    execution, made = recording()
    schema = strawberry.Schema(Query, execution_context_class=execution)
    assert schema.execute_sync(QUERY).errors is None
    assert len(made) == 1
    assert isinstance(made[0], Executor)
    assert issubclass(StrawberryGraphQLCoreExecutionContext, Executor)
    assert issubclass(engine.execution_context_class({}, 1), StrawberryGraphQLCoreExecutionContext)


def test_graphql_core_executes_and_completes_through_the_overridden_methods() -> None:
    execution, made = recording()
    assert strawberry.Schema(Query, execution_context_class=execution).execute_sync(QUERY).data
    assert made[0].ran == {"execute_fields", "execute_field", "complete_object_value"}


def test_a_field_without_a_resolver_is_read_by_strawberrys_default_resolver() -> None:
    schema = strawberry.Schema(Query)
    rank, name = field(schema, "Card", "rank"), field(schema, "Card", "name")
    definition = rank.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    assert isinstance(definition, StrawberryField)
    assert definition.is_basic_field
    assert definition.python_name == "rank"
    assert definition.default_resolver is getattr
    assert rank.resolve is not None
    assert getattr(rank.resolve, "_is_default", None) is True
    assert rank.resolve(Card(rank=9, suit=Suit.HEARTS), None) == 9
    # A field with a resolver of its own is neither basic nor default.
    resolved = name.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    assert not resolved.is_basic_field
    assert getattr(name.resolve, "_is_default", None) is False
    # The metadata strawberry.field was given (what at_hand declares with).
    note = field(schema, "Card", "note").extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    assert note.metadata == {"canary": 1}


class Loud(strawberry.extensions.FieldExtension):
    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        return str(next_(source, info, **kwargs)).upper()


@strawberry.type
class Shout:
    word: str = strawberry.field(extensions=[Loud()])


@strawberry.type
class Shouting:
    @strawberry.field
    def shout(self) -> Shout:
        return Shout(word="hi")


def test_a_field_with_field_extensions_is_not_basic() -> None:
    schema = strawberry.Schema(Shouting)
    definition = field(schema, "Shout", "word").extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    assert not definition.is_basic_field  # so compiled code leaves it to its resolver
    assert schema.execute_sync("{ shout { word } }").data == {"shout": {"word": "HI"}}


def test_strawberry_writes_an_enum_member_as_its_first_name() -> None:
    suit = strawberry.Schema(Query)._schema.get_type("Suit")
    assert isinstance(suit, CustomGraphQLEnumType)
    assert suit.wrapped_cls is Suit
    assert suit.coerce_output_value(Suit.SPADES) == "SPADES"
    assert _enum_names(suit) == {"hearts": "HEARTS", "spades": "SPADES"}


def test_the_built_in_scalars_write_what_compiled_code_writes_as_it_is() -> None:
    types = {name: field(strawberry.Schema(Query), "Hand", name).type for name in ("bet", "open")}
    assert getattr(types["bet"], "of_type", None) is GraphQLFloat
    assert getattr(types["open"], "of_type", None) is GraphQLBoolean
    owner = field(strawberry.Schema(Query), "Hand", "owner").type
    assert getattr(owner, "of_type", None) is GraphQLID
    samples = {
        GraphQLString: "x",
        GraphQLID: "p1",
        GraphQLBoolean: True,
        GraphQLFloat: 1.5,
        GraphQLInt: GRAPHQL_MAX_INT,
    }
    assert set(samples) == set(_AS_IS)
    for scalar, value in samples.items():
        written = scalar.coerce_output_value(value)
        assert written == value
        assert type(written) is type(value)
    assert (GRAPHQL_MIN_INT, GRAPHQL_MAX_INT) == (-(2**31), 2**31 - 1)
    with pytest.raises(Exception, match="non 32-bit signed integer"):
        GraphQLInt.coerce_output_value(GRAPHQL_MAX_INT + 1)


def test_extensions_hooking_fields_reach_the_executor_as_middleware() -> None:
    class Quiet(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            yield

    class Hooking(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            return _next(root, info, *args, **kwargs)

    for extension, hooked in ((Quiet, False), (Hooking, True)):
        execution, made = recording()
        schema = strawberry.Schema(Query, extensions=[extension], execution_context_class=execution)
        assert schema.execute_sync(QUERY).errors is None
        assert bool(made[0].middleware_manager.middlewares) is hooked


class Later:
    def __await__(self) -> Iterator[None]:
        yield


def test_the_executor_holds_the_requests_errors_fragments_and_awaitable_check() -> None:
    execution, made = recording()
    schema = strawberry.Schema(Query, execution_context_class=execution)
    document = "{ hand { ...Owner } fold { owner } } fragment Owner on Hand { owner }"
    result = schema.execute_sync(document)
    assert [error.message for error in result.errors or ()] == ["folded"]
    executor = made[0]
    assert [error.message for error in executor.collected_errors.errors] == ["folded"]
    assert list(executor.fragment_definitions) == ["Owner"]
    assert isinstance(executor.fragment_definitions["Owner"], FragmentDefinitionNode)
    assert executor.is_awaitable(Later())
    assert not executor.is_awaitable(Hand)


def test_resolvers_get_the_async_helpers_the_executor_holds() -> None:
    execution, made = recording(compiled_execution(CompiledSelections()))
    SEEN.clear()
    schema = strawberry.Schema(Query, execution_context_class=execution)
    assert schema.execute_sync(QUERY).errors is None
    raw = SEEN[0]._raw_info
    assert raw.async_helpers is made[0].async_helpers
    assert raw.context is made[0].context_value
    # What schema/customer.py reads of it.
    assert raw.schema is schema._schema
    assert raw.fragments == {}
    assert [node.name.value for node in raw.field_nodes] == ["name"]
    assert hasattr(raw, "variable_values")  # coerced: a dict, or graphql-core's VariableValues


def test_field_lists_are_lists_and_grouped_field_sets_dicts() -> None:
    assert get_origin(FieldDetailsList) is list
    assert get_origin(GroupedFieldSet) is dict


def test_the_visitor_finds_variables_also_in_fragments() -> None:
    def uses(text: str) -> bool:
        document = parse(text)
        operation, *rest = document.definitions
        fragments = {d.name.value: d for d in rest if isinstance(d, FragmentDefinitionNode)}
        nodes = operation.selection_set.selections  # type: ignore[attr-defined]
        return _uses_variables(nodes, fragments)

    assert uses("query ($a: Int) { hand { cards(first: $a) { rank } } }")
    assert uses(
        "query ($a: Int) { hand { ...F } } fragment F on Hand { cards(first: $a) { rank } }"
    )
    assert not uses("{ hand { ...F } } fragment F on Hand { cards { rank } }")


def test_strawberry_converts_every_name_through_apply_naming_config() -> None:
    asked: list[str] = []

    class Noting(NameConverter):
        def apply_naming_config(self, name: str) -> str:
            asked.append(name)
            return super().apply_naming_config(name)

    @strawberry.type
    class Root:
        snake_case: int = 1

    sdl = strawberry.Schema(Root, config=StrawberryConfig(name_converter=Noting())).as_str()
    assert "snake_case" in asked
    assert "snakeCase: Int!" in sdl
