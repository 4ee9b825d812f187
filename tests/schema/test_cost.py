from __future__ import annotations

import pytest
import strawberry
from graphql import (
    GraphQLNamedType,
    GraphQLObjectType,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from schema import build_schema
from schema._engine import strawberry_field
from schema.cost import (
    BY_ID,
    BY_ID_UNLESS_LOADED,
    EACH_ITEM,
    FREE,
    Calls,
    FieldCost,
    Selection,
    costs,
    declared_cost,
)


def _object_types(schema: strawberry.Schema) -> dict[str, GraphQLObjectType]:
    return {
        name: kind
        for name, kind in schema._schema.type_map.items()
        if isinstance(kind, GraphQLObjectType) and not name.startswith("__")
    }


def _is_connection(kind: GraphQLNamedType) -> bool:
    return kind.name.endswith("Connection")  # Relay's rule


def undeclared(schema: strawberry.Schema) -> list[str]:
    """Fields that must declare their cost and do not: those with a resolver (it
    may call the upstream), every list and every connection."""
    missing = []
    for name, kind in _object_types(schema).items():
        for field_name, field in kind.fields.items():
            definition = strawberry_field(field)
            resolved = definition is not None and definition.base_resolver is not None
            listed = is_list_type(get_nullable_type(field.type))
            connection = _is_connection(get_named_type(field.type))
            if (resolved or listed or connection) and declared_cost(field) is None:
                missing.append(f"{name}.{field_name}")
    return missing


SERVED = build_schema()


def test_every_field_that_may_cost_declares_its_cost() -> None:
    assert undeclared(SERVED) == []


@strawberry.type
class Item:
    name: str


@strawberry.type
class NewQuery:
    items: list[Item]
    free: list[Item] = strawberry.field(metadata=costs(FREE))

    @strawberry.field
    def item(self) -> Item:
        return Item(name="x")

    by_id: Item = strawberry.field(resolver=lambda: Item(name="x"), metadata=costs(BY_ID))


def test_a_new_list_or_resolver_without_a_declared_cost_is_found() -> None:
    assert undeclared(strawberry.Schema(query=NewQuery)) == ["NewQuery.items", "NewQuery.item"]


def test_connections_declare_their_window_and_their_items() -> None:
    windows, items = [], []
    for name, kind in _object_types(SERVED).items():
        for field_name, field in kind.fields.items():
            rule = declared_cost(field) or FREE
            where = f"{name}.{field_name}"
            if _is_connection(get_named_type(field.type)):
                assert rule.selection is Selection.WINDOW, where
                windows.append(where)
            listed = is_list_type(get_nullable_type(field.type))
            if _is_connection(kind) and listed:
                assert rule.selection is Selection.EACH_ITEM, where
                items.append(where)
            if rule.selection is Selection.EACH_ITEM:
                assert _is_connection(kind), where
    # The checks above saw both connections, through the fields serving them.
    assert sorted(windows) == ["Customer.promotions", "Query.promotions"]
    assert sorted(items) == [
        f"{connection}.{field}"
        for connection in ("CustomerPromotionConnection", "PromotionConnection")
        for field in ("edges", "nodes")
    ]


def costed_below_records(schema: strawberry.Schema) -> dict[str, list[str]]:
    """Each field whose selection reads records whole (`Selection.RECORDS`), with
    the fields anywhere below it that declare a cost other than FREE."""
    types = _object_types(schema)
    found: dict[str, list[str]] = {}
    for name, kind in types.items():
        for field_name, field in kind.fields.items():
            rule = declared_cost(field)
            if rule is None or rule.selection is not Selection.RECORDS:
                continue
            costed = found.setdefault(f"{name}.{field_name}", [])
            seen: set[str] = set()
            below = [get_named_type(field.type).name]
            while below:
                type_name = below.pop()
                if type_name in seen or type_name not in types:
                    continue
                seen.add(type_name)
                for inner_name, inner in types[type_name].fields.items():
                    if (declared_cost(inner) or FREE) != FREE:
                        costed.append(f"{type_name}.{inner_name}")
                    below.append(get_named_type(inner.type).name)
    return found


def test_nothing_below_records_read_whole_costs_anything() -> None:
    assert costed_below_records(SERVED) == {"Promotion.rulesets": []}


@strawberry.type
class Detailed:
    name: str
    detail: Item = strawberry.field(resolver=lambda: Item(name="x"), metadata=costs(BY_ID))


@strawberry.type
class Whole:
    items: list[Detailed] = strawberry.field(metadata=costs(FREE))


@strawberry.type
class WholeQuery:
    whole: Whole = strawberry.field(
        resolver=lambda: Whole(items=[]), metadata=costs(BY_ID_UNLESS_LOADED)
    )


def test_a_cost_below_records_read_whole_is_found() -> None:
    found = costed_below_records(strawberry.Schema(query=WholeQuery))
    assert found == {"WholeQuery.whole": ["Detailed.detail"]}


def test_a_field_paging_through_a_list_is_a_window() -> None:
    with pytest.raises(ValueError, match="window"):
        FieldCost(Calls.PAGES, Selection.ONCE)
    assert EACH_ITEM.calls is Calls.NONE
