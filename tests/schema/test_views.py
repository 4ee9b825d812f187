from typing import Any

import pytest
from strawberry.types.base import get_object_definition

from gateway.upstream import records
from schema.customer import CustomerPromotion, CustomerUsage, Issual, PromotionMetadata, Timeline
from schema.promotion import Promotion, PromotionLimits, Restriction, RestrictionPeriod

# Strawberry types whose source is the record itself (schema/views.py).
RECORD_VIEWS = [
    (Promotion, records.Promotion),
    (CustomerPromotion, records.CustomerPromotion),
    (PromotionLimits, records.Limits),
    (Restriction, records.Restriction),
    (RestrictionPeriod, records.RestrictionPeriod),
    (CustomerUsage, records.CustomerUsage),
    (PromotionMetadata, records.PromotionMetadata),
    (Timeline, records.Timeline),
    (Issual, records.Issual),
]


@pytest.mark.parametrize(
    ("view", "record"), RECORD_VIEWS, ids=[view.__name__ for view, _ in RECORD_VIEWS]
)
def test_a_record_view_reads_only_what_its_record_has(view: type, record: Any) -> None:
    definition = get_object_definition(view, strict=True)
    plain = [f for f in definition.fields if f.base_resolver is None]
    read = {f.python_name for f in plain}
    has = set(record._fields)
    assert read <= has, f"{view.__name__} reads {sorted(read - has)}, not in {record.__name__}"
    # A resolver on a view is a plain function given the record as its parent: a
    # method would get a record as `self`.
    for resolved in definition.fields:
        resolver = resolved.base_resolver
        if resolver is not None:
            assert resolver.self_parameter is None, resolved.python_name
            assert resolver.parent_parameter is not None, resolved.python_name
