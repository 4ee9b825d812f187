import time

import pytest
from graphql import parse

from gateway.errors import OperationTooLarge
from gateway.operations._limits import OperationLimits, check_operations

LIMITS = OperationLimits(depth=5, aliases=3, root_fields=2, fields=50, directives=3)


def fan_out(levels: int, *, alias: bool = False) -> str:
    """Each fragment spreads the next twice: 2**levels fields once expanded."""
    field = "a: id" if alias else "id"
    fragments = [
        f"fragment F{i} on Promotion {{ {field} ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Promotion {{ {field} }}")
    return '{ promotion(programId: "1", id: "2") { ...F0 } }\n' + "\n".join(fragments)


def refused(document: str, limits: OperationLimits = LIMITS) -> dict[str, object]:
    with pytest.raises(OperationTooLarge) as raised:
        check_operations(parse(document), limits)
    return raised.value.extensions


def test_a_modest_operation_passes() -> None:
    check_operations(parse("{ a { b { c } } d: a { b { c } } }"), LIMITS)


def test_depth_counts_through_fragments() -> None:
    document = "{ a { ...F } } fragment F on T { b { c { d { e { f } } } } }"
    assert refused(document)["limit"] == "depth"


def test_aliases_count_each_time_a_fragment_is_spread() -> None:
    document = "{ ...F ...F } fragment F on Query { x: a y: b }"
    assert refused(document, OperationLimits(10, 3, 10, 50, 3))["limit"] == "aliases"


def test_root_fields_count_through_inline_fragments() -> None:
    assert refused("{ a b ... on Query { c } }")["limit"] == "rootFields"


def test_directives_are_counted() -> None:
    document = (
        "{ a @include(if: true) b @skip(if: false) ... @include(if: true) { c @skip(if: false) } }"
    )
    assert refused(document, OperationLimits(5, 3, 10, 50, 3))["limit"] == "directives"


def test_an_exponential_fan_out_is_counted_not_walked() -> None:
    started = time.perf_counter()
    found = refused(fan_out(30))
    elapsed = time.perf_counter() - started
    assert found["limit"] == "fields"
    assert found["actual"] == 2**31 - 1 + 1  # every `id` once expanded, plus `promotion`
    assert elapsed < 0.5  # microseconds really; walking it would take hours


def test_a_fan_out_of_aliases_is_refused_on_aliases() -> None:
    assert refused(fan_out(30, alias=True), OperationLimits(5, 3, 2, 10**12, 3))["limit"] == (
        "aliases"
    )


def test_cyclic_and_unknown_fragments_are_left_to_validation() -> None:
    check_operations(
        parse("{ ...A ...Missing } fragment A on Query { ...B } fragment B on Query { ...A }"),
        LIMITS,
    )


def test_a_very_long_chain_of_fragments_is_refused_not_crashed() -> None:
    chain = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(3000))
    document = "{ ...F0 }\n" + chain + "\nfragment F3000 on Query { a }"
    assert refused(document, OperationLimits(5, 3, 2, 50, 3))["limit"] == "depth"
