import dataclasses

import pytest
from strawberry.types.base import get_object_definition

from gateway.upstream import records
from schema.customer import CustomerUsage, Issual, PromotionMetadata, Timeline
from schema.promotion import PromotionLimits, Restriction, RestrictionPeriod

# Strawberry types whose source is the record itself (schema/views.py).
RECORD_VIEWS = [
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
def test_a_record_view_reads_only_what_its_record_has(view: type, record: type) -> None:
    definition = get_object_definition(view, strict=True)
    read = {f.python_name for f in definition.fields}
    has = {f.name for f in dataclasses.fields(record)}
    assert read <= has, f"{view.__name__} reads {sorted(read - has)}, not in {record.__name__}"
    # Plain attributes only: a resolver on a view would get a record as `self`.
    assert all(f.base_resolver is None for f in definition.fields)
