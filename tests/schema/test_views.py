from typing import Any

import pytest
from strawberry.types.base import get_object_definition

from gateway.upstream import records
from gateway.upstream.queries import CustomerIdentity
from resolvers.customers import WalletPromotion
from schema.customer import (
    Customer,
    CustomerPromotion,
    CustomerPromotionEdge,
    CustomerUsage,
    Issual,
    PromotionMetadata,
    Timeline,
    customer_of,
)
from schema.pagination import EdgeRecord
from schema.promotion import (
    Promotion,
    PromotionEdge,
    PromotionLimits,
    Restriction,
    RestrictionPeriod,
    Rule,
    RuleAction,
    RuleFilter,
    Ruleset,
)
from schema.scalars import Json
from schema.views import attribute_fields

# Strawberry types whose source is the record itself (schema/views.py).
RECORD_VIEWS = [
    (Promotion, records.Promotion),
    (CustomerPromotion, WalletPromotion),
    (PromotionLimits, records.Limits),
    (Restriction, records.Restriction),
    (RestrictionPeriod, records.RestrictionPeriod),
    (CustomerUsage, records.CustomerUsage),
    (PromotionMetadata, records.PromotionMetadata),
    (Timeline, records.Timeline),
    (Issual, records.Issual),
    (Ruleset, records.Ruleset),
    (Rule, records.Rule),
    (RuleAction, records.RuleAction),
    (RuleFilter, records.RuleFilter),
    (PromotionEdge, EdgeRecord),
    (CustomerPromotionEdge, EdgeRecord),
]


# Strawberry types copied from a record (`schema.views.copier`): they carry more.
RECORD_COPIES = [(Customer, records.CustomerPage)]


@pytest.mark.parametrize(
    ("copy", "record"), RECORD_COPIES, ids=[copy.__name__ for copy, _ in RECORD_COPIES]
)
def test_a_record_copy_reads_only_what_its_record_has(copy: type, record: Any) -> None:
    read, has = set(attribute_fields(copy)), set(record._fields)
    assert read <= has, f"{copy.__name__} reads {sorted(read - has)}, not in {record.__name__}"


def test_a_customer_is_copied_from_its_record_with_its_identity() -> None:
    page = records.CustomerPage(
        customer_id="42", promotions=(), total_count=0, warnings=({"code": 1},)
    )
    identity = CustomerIdentity(
        records.CustomerIdentifierType.MOBILE, "1", records.CustomerSource.INSTORE
    )
    customer = customer_of(page, identity=identity)
    assert isinstance(customer, Customer)
    assert customer.customer_id == "42"
    assert list(customer.warnings) == [Json({"code": 1})]
    assert customer.identity is identity


@pytest.mark.parametrize(
    ("view", "record"), RECORD_VIEWS, ids=[view.__name__ for view, _ in RECORD_VIEWS]
)
def test_a_record_view_reads_only_what_its_record_has(view: type, record: Any) -> None:
    definition = get_object_definition(view, strict=True)
    read, has = set(attribute_fields(view)), set(record._fields)
    assert read <= has, f"{view.__name__} reads {sorted(read - has)}, not in {record.__name__}"
    # A resolver on a view is a plain function given the record as its parent: a
    # method would get a record as `self`.
    for resolved in definition.fields:
        resolver = resolved.base_resolver
        if resolver is not None:
            assert resolver.self_parameter is None, resolved.python_name
            assert resolver.parent_parameter is not None, resolved.python_name
