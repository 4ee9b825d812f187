import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import UpstreamBadResponse
from gateway.upstream import _parsing as parsing
from gateway.upstream import _tables as tables
from gateway.upstream import _usual_shape as usual_shape
from gateway.upstream import records
from gateway.upstream._tables import Kind, Table
from sandbox import views
from sandbox.data import build

FIXTURES = Path(__file__).parents[2] / "fixtures"

# Every spelling the tolerant reader looks for in the customer view, so that a
# variant can carry the other spelling, or both.
SPELLINGS = (
    "id",
    "name",
    "isActive",
    "promotionRestrictions",
    "restrictions",
    "expiryRestrictions",
    "numberOfTimesPerCustomer",
    "totalPointsPerEventLimit",
    "currentNumberOFTimesPerCustomer",
    "value",
    "type",
    "periodType",
    "periodUnit",
)

# Values of every JSON type, and text the tolerant reader treats specially.
REPLACEMENTS: tuple[object, ...] = (
    None,
    "",
    "  ",
    "7",
    " 7 ",
    "7.5",
    "-1",
    "1_000",
    "nan",
    "inf",
    "1e400",
    7,
    -1,
    0,
    7.5,
    10**400,
    True,
    False,
    "true",
    "FALSE",
    {},
    {"id": 1},
    [],
    [None],
    [{}],
    ["x"],
    "customer",
    " CUSTOMER",
    "PERIOD_BASED",
    "period_based",
    "UNHEARD_OF",
    "2026-01-02T03:04:05Z",
    "2026-01-02T03:04:05.000Z",
    "2026-01-02T03:04:05+05:30",
    "2026-01-02 03:04:05",
    " 2026-01-02T03:04:05Z",
    "2026-13-02T03:04:05Z",
    "1700000000000",
    "1Z",
)

# Values a variant gives a spelling it adds.
ADDED: tuple[object, ...] = (None, "7", 7, "CUSTOMER", {}, [])


def customer_promotions() -> list[dict[str, Any]]:
    """The vendor pages' customer view, and the sandbox's for its seeded customers."""
    items = [
        item
        for body in json.loads((FIXTURES / "customer_promotion_data.json").read_text())
        if "customerId" in body
        for item in body["promotions"]
    ]
    dataset = build(seed=7)
    for customer in dataset.customers[:40]:
        for enrolment in customer.enrolments:
            promotion = dataset.promotions[enrolment.promotion_id]
            for fetch_all in (False, True):
                item = views.customer_promotion(promotion, enrolment, "", fetch_all)
                items.append(json.loads(json.dumps(item)))
    return items


def samples() -> list[dict[str, Any]]:
    """Vendor items, the first sandbox item showing each feature, and one holding
    expiry restrictions (which the customer view's examples never carry)."""
    items = customer_promotions()
    features = ('"customerPromotionTimelines"', '"promotionMetadata"', '"PERIOD_BASED"')
    chosen = items[:3]
    for feature in features:
        chosen.append(next(item for item in items[20:] if feature in json.dumps(item)))
    expiring = copy.deepcopy(items[0])
    expiring["promotionRestriction"]["expiryRestrictions"] = [
        {"kpi": "EXPIRY", "maxLimit": "30", "type": "PROMOTION"},
        {"kpi": "EXPIRY", "value": 7, "type": "CUSTOM", "limitOn": "CUSTOMER"},
    ]
    return [*chosen, expiring]


def tolerant(item: object) -> records.CustomerPromotion | None:
    """What the tolerant reader makes of `item`, None for a violation."""
    body = {"customerId": 1, "promotions": [item]}
    try:
        (promotion,) = parsing.parse_customer_page(body, usual_first=False).promotions
    except UpstreamBadResponse:
        return None
    return promotion


def agree(item: object) -> bool:
    """The usual-shape reader declines `item`, or reads it exactly as the tolerant one."""
    fast = usual_shape.customer_promotion(item)
    if fast is None:
        return True
    slow = tolerant(item)
    return slow is not None and repr(fast) == repr(slow)


def places(value: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """The path of every object member and list entry under `value`."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*path, key)
            yield from places(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*path, index)
            yield from places(inner, (*path, index))


def holders(value: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """The path of every object under `value`, itself included."""
    if isinstance(value, dict):
        yield path
        for key, inner in value.items():
            yield from holders(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from holders(inner, (*path, index))


def at(value: Any, path: tuple[object, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def variants(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`item` changed in one place: a member removed or replaced, a spelling added."""
    for path in places(item):
        *parent_path, last = path
        removed = copy.deepcopy(item)
        parent = at(removed, tuple(parent_path))
        if isinstance(parent, dict):
            del parent[last]
        else:
            parent.pop(last)
        yield removed
        original = at(item, path)
        replacements = [*REPLACEMENTS]
        if isinstance(original, str):
            replacements += [original.lower(), f" {original}", f"{original} "]
        for replacement in replacements:
            changed = copy.deepcopy(item)
            at(changed, tuple(parent_path))[last] = copy.deepcopy(replacement)
            yield changed
    for path in holders(item):
        for key in SPELLINGS:
            for value in ADDED:
                added = copy.deepcopy(item)
                at(added, path)[key] = copy.deepcopy(value)
                yield added


def test_every_documented_and_sandbox_customer_promotion_takes_the_usual_path() -> None:
    items = customer_promotions()
    assert len(items) > 200
    for item in items:
        fast = usual_shape.customer_promotion(item)
        assert fast is not None, item
        assert repr(fast) == repr(tolerant(item))


def test_the_usual_path_reads_what_the_tolerant_reader_reads_or_declines() -> None:
    # Each vendor example and a spread of sandbox items, changed in one place at a
    # time, every way: a disagreement prints the variant.
    declined = taken = 0
    for sample in samples():
        for variant in variants(sample):
            assert agree(variant), variant
            if usual_shape.customer_promotion(variant) is None:
                declined += 1
            else:
                taken += 1
    # The generator reaches both outcomes (a test that only ever declined would pass).
    assert declined > 1000
    assert taken > 1000


@pytest.mark.parametrize("item", [None, [], "x", 7, {"promotionId": 1}])
def test_objects_the_usual_path_cannot_read_are_left_to_the_tolerant_reader(item: object) -> None:
    assert usual_shape.customer_promotion(item) is None


def test_a_customer_page_is_read_the_same_on_either_path() -> None:
    body = json.loads((FIXTURES / "customer_promotion_data.json").read_text())[0]
    assert repr(parsing.parse_customer_page(body)) == repr(
        parsing.parse_customer_page(body, usual_first=False)
    )


def test_a_page_with_one_unusual_promotion_is_read_the_same_on_either_path() -> None:
    body = json.loads((FIXTURES / "customer_promotion_data.json").read_text())[0]
    body["promotions"][1]["promotionId"] = " 67247 "  # read by the tolerant reader
    body["promotions"].append(None)  # skipped by the tolerant reader
    page = parsing.parse_customer_page(body)
    assert repr(page) == repr(parsing.parse_customer_page(body, usual_first=False))
    assert [p.promotion_id for p in page.promotions] == ["67248", "67247"]


def keys(table: Table[Any]) -> Iterator[str]:
    """Every JSON key `table` and the tables under it read."""
    for field in table.fields:
        yield from field.keys
        if field.table is not None:
            yield from keys(field.table)
        if field.kind is Kind.RESTRICTIONS:
            yield tables.NESTED_RESTRICTIONS
            for key, restriction in tables.RESTRICTION_LISTS:
                yield key
                yield from keys(restriction)


def test_the_usual_path_is_generated_from_the_field_tables() -> None:
    read = set(keys(tables.CUSTOMER_PROMOTION))
    assert {"promotionId", "issualEventLogId", "periodUnit", "expiryRestrictions"} <= read
    for key in read:
        assert repr(key) in usual_shape.SOURCE, key


def test_a_reader_is_generated_from_the_table_it_is_given() -> None:
    # The same record with one field read from another key: the generated reader
    # follows the table it is given, not a copy of the customer view's keys.
    moved = tables.Field("times_per_customer", Kind.INTEGER, ("timesAllowed",))
    table = Table(
        records.Limits, tuple(moved if f.name == moved.name else f for f in tables.LIMITS.fields)
    )
    read, source = usual_shape._compile(table)
    limits = read({"timesAllowed": 3, "numberOfTimesPerCustomer": 9, "pointsPerCustomer": "5"})
    assert limits == records.Limits(None, 5.0, 3, None)
    assert "'numberOfTimesPerCustomer'" not in source
    with pytest.raises(usual_shape.Unusual):  # the kind's check comes from the table too
        read({"timesAllowed": "3"})
