import json
import typing
from pathlib import Path

import pytest

from gateway.upstream import records
from gateway.upstream._parsing import parse_customer_page
from resolvers.customers import WalletPromotion, customer_promotion_id

FIXTURES = Path(__file__).parents[1] / "fixtures"


def a_promotion() -> records.CustomerPromotion:
    body = json.loads((FIXTURES / "customer_promotion_data.json").read_text())
    return parse_customer_page(body[0]).promotions[0]


def test_a_wallet_promotion_is_the_record_s_fields_after_its_customer_s_id() -> None:
    assert WalletPromotion._fields == ("customer_id", *records.CustomerPromotion._fields)
    import resolvers.customers

    hints = typing.get_type_hints(WalletPromotion, vars(resolvers.customers))
    record_hints = typing.get_type_hints(records.CustomerPromotion)
    assert hints == {"customer_id": str, **record_hints}


def test_a_wallet_promotion_carries_its_customer_and_the_record_unchanged() -> None:
    promotion = a_promotion()
    owned = WalletPromotion.of("42", promotion)
    assert owned.customer_id == "42"
    assert owned[1:] == tuple(promotion)
    assert owned.name == promotion.name


def test_the_same_promotion_has_a_distinct_id_in_each_customer_s_wallet() -> None:
    promotion = a_promotion()
    first = customer_promotion_id(WalletPromotion.of("1", promotion))
    second = customer_promotion_id(WalletPromotion.of("2", promotion))
    assert first == f"1:{promotion.program_id}:{promotion.promotion_id}"
    assert first != second


def test_a_wallet_promotion_without_a_customer_is_refused() -> None:
    with pytest.raises(ValueError, match="customer's id"):
        WalletPromotion.of("", a_promotion())
