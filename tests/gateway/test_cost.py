from typing import Any

import pytest
from graphql import parse

from gateway import errors
from gateway.cost import CallBudget, estimate_upstream_calls
from schema import build_schema

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


def test_the_budget_stops_the_call_past_the_limit() -> None:
    budget = CallBudget(2)
    budget.spend()
    budget.spend()
    with pytest.raises(errors.CostLimitExceeded):
        budget.spend()
