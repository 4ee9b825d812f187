from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
import strawberry
from graphql import parse, print_ast

from gateway.operations import _cost as cost
from gateway.operations._cost import CostEstimates, estimate_upstream_calls
from schema import build_schema
from schema.cost import BY_ID, EACH_ITEM, LIST_PAGES, costs

SCHEMA = build_schema()._schema


def estimate(document: str, variables: dict[str, Any] | None = None) -> int:
    return estimate_upstream_calls(SCHEMA, parse(document), None, variables, list_page_size=100)


def test_one_promotion_is_one_call_rulesets_included() -> None:
    assert estimate('{ promotion(programId: "1", id: "2") { id rulesets { name } } }') == 1


def test_a_customer_costs_one_lookup_per_promotions_selection() -> None:
    assert estimate('{ customer(identifierType: MOBILE, identifierValue: "1") { id } }') == 1
    document = """{ customer(identifierType: MOBILE, identifierValue: "1") {
        a: promotions(first: 5) { totalCount } b: promotions(first: 7) { totalCount } } }"""
    assert estimate(document) == 2


def test_nested_promotions_cost_one_call_per_item() -> None:
    document = """query($n: Int) { customer(identifierType: MOBILE, identifierValue: "1") {
        promotions(first: $n) { nodes { promotion { rulesets { name } } } } } }"""
    assert estimate(document, {"n": 50}) == 51
    assert estimate(document, {}) == 21  # the schema's default `first` is 20


def test_edges_cost_like_nodes() -> None:
    document = """{ promotions(first: 30) { edges { node { rulesets { name } } } } }"""
    assert estimate(document) == 31


def test_a_listed_window_may_span_one_more_page_after_a_cursor() -> None:
    assert estimate("{ promotions(first: 100) { nodes { id } } }") == 1
    assert estimate('{ promotions(first: 100, after: "x") { nodes { id } } }') == 2


def test_fragments_are_costed_in_their_context() -> None:
    document = """{ promotions(first: 10) { ...Listed } a: promotion(programId: "1", id: "2") { ...P } }
        fragment Listed on PromotionConnection { nodes { ...P } }
        fragment P on Promotion { rulesets { name } }"""
    assert estimate(document) == 1 + 10 + 1


def test_unknowable_sizes_are_the_worst_case() -> None:
    document = "query($n: Int) { promotions(first: $n) { nodes { rulesets { name } } } }"
    assert estimate(document, {"n": "lots"}) == 101
    assert estimate(document, {"n": 1000}) == 101


def test_aliases_multiply() -> None:
    one = '{ customer(identifierType: MOBILE, identifierValue: "1") { promotions(first: 100) { nodes { promotion { id } } } } }'
    assert estimate(one) == 101
    both = "{ " + " ".join(f"c{i}: " + one[2:-2] for i in range(3)) + " }"
    assert estimate(both) == 303


def test_remembered_estimates_are_costed_once_per_first(monkeypatch: pytest.MonkeyPatch) -> None:
    document = parse(
        """query($m: String!, $n: Int, $k: Int = 3) {
            customer(identifierType: MOBILE, identifierValue: $m) {
                a: promotions(first: $n) { nodes { promotion { rulesets { name } } } }
                b: promotions(first: $k) { nodes { promotion { id } } } } }"""
    )
    asked: list[dict[str, Any]] = [
        {"m": "1", "n": 50},
        {"m": "2", "n": 50},  # another customer: remembered
        {"m": "3", "n": 10},
        {"m": "4", "n": 50, "k": None},  # null sets the default, as not given
        {"m": "5", "n": 50, "k": 7},
        {"m": "6"},
        {"m": "7", "n": "50"},  # not an Int: the largest window
        {"m": "8", "n": 10},
    ]
    expected = [
        estimate_upstream_calls(SCHEMA, document, None, variables, list_page_size=100)
        for variables in asked
    ]
    # 2 customer lookups (two `promotions` selections) + one by-id call per item
    assert expected == [2 + 50 + 3, 55, 2 + 10 + 3, 55, 2 + 50 + 7, 2 + 20 + 3, 2 + 100 + 3, 15]
    costed: list[str] = []
    real = cost._estimate

    def counting(*args: Any) -> tuple[int, set[str]]:
        costed.append(args[3]["m"])
        return real(*args)

    monkeypatch.setattr(cost, "_estimate", counting)
    estimates = CostEstimates(list_page_size=100, max_documents=8)
    got = [estimates.estimate(SCHEMA, document, None, variables) for variables in asked]
    assert got == expected
    assert costed == ["1", "3", "5", "6", "7"]
    same_text = parse(print_ast(document))  # another document object: costed anew
    assert estimates.estimate(SCHEMA, same_text, None, {"m": "9", "n": 50}) == 55
    assert costed[-1] == "9"


@strawberry.type
class Leaf:
    name: str
    detail: Leaf | None = strawberry.field(default=None, metadata=costs(BY_ID))


@strawberry.type
class LeafConnection:
    nodes: list[Leaf] = strawberry.field(metadata=costs(EACH_ITEM))


def leaves(first: int = 20, after: str | None = None) -> LeafConnection:
    return LeafConnection(nodes=[])


@strawberry.type
class ToyQuery:
    one: Leaf = strawberry.field(default_factory=lambda: Leaf(name="x"), metadata=costs(BY_ID))
    many: LeafConnection = strawberry.field(resolver=leaves, metadata=costs(LIST_PAGES))
    # A name the served schema costs, declaring nothing here: free.
    promotion: Leaf = strawberry.field(default_factory=lambda: Leaf(name="x"))


def test_costs_are_read_from_the_fields_declarations_not_their_names() -> None:
    schema = strawberry.Schema(query=ToyQuery)._schema

    def toy(document: str) -> int:
        return estimate_upstream_calls(schema, parse(document), None, {}, list_page_size=10)

    assert toy("{ one { name } promotion { name } }") == 1
    assert toy("{ many(first: 30) { nodes { detail { detail { name } } } } }") == 3 + 30 * 2
    assert toy('{ many(after: "x") { nodes { name } } }') == 3


def test_a_schema_estimated_on_is_not_kept_alive_by_its_declarations() -> None:
    """The declarations are read once per schema, and forgotten with it."""
    schema = build_schema()._schema
    assert (
        estimate_upstream_calls(
            schema,
            parse("{ promotions { nodes { rulesets { name } } } }"),
            None,
            {},
            list_page_size=100,
        )
        == 1 + 20
    )
    assert schema in cost._DECLARED
    gone = weakref.ref(schema)
    del schema
    gc.collect()
    assert gone() is None
