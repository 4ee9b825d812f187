import pickle

import httpx
import pytest

from gateway import errors
from gateway.credentials import Credential
from gateway.deadline import Deadline
from gateway.upstream import (
    Caller,
    UpstreamClient,
    read_customer_page,
    read_promotion,
    read_promotion_page,
)
from gateway.upstream.queries import (
    CustomerIdentity,
    CustomerPromotionsQuery,
    PromotionFilter,
    PromotionPageQuery,
)
from gateway.upstream.records import CustomerIdentifierType, CustomerSource
from sandbox import DEMO_AUTHORIZATION
from tests.conftest import SandboxAdmin, settings_for
from tests.queries import BIG_CUSTOMER

CREDENTIAL = Credential.from_header(DEMO_AUTHORIZATION, secret=b"k")


def soon() -> Caller:
    return Caller(Deadline.after(5))


async def test_each_answer_reads_back_from_its_json_as_the_same_record(
    sandbox: SandboxAdmin,
) -> None:
    async with httpx.AsyncHTTPTransport() as transport:
        client = UpstreamClient(transport, settings_for(sandbox.url))
        promotion = await client.promotion_answer(CREDENTIAL, "469", "57099", soon())
        page = await client.promotion_page_answer(
            CREDENTIAL, PromotionPageQuery(PromotionFilter(program_id="469"), 0, 20), soon()
        )
        customer = await client.customer_promotions_answer(
            CREDENTIAL,
            CustomerPromotionsQuery(
                CustomerIdentity(
                    CustomerIdentifierType.MOBILE, BIG_CUSTOMER, CustomerSource.INSTORE
                ),
                limit=10,
            ),
            soon(),
        )
    assert read_promotion(promotion.body, "469") == promotion
    assert read_promotion_page(page.body) == page
    assert read_customer_page(customer.body) == customer
    assert page.record.promotions


class Planted:
    """Unpickling this would call `exit` (it must never happen)."""

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return (exit, (3,))


@pytest.mark.parametrize(
    "stored",
    [b"", b"not json", b"[1, 2", b'{"data": "unexpected"}', pickle.dumps(Planted())],
)
def test_an_unreadable_stored_answer_is_a_bad_response_and_runs_nothing(stored: bytes) -> None:
    with pytest.raises(errors.UpstreamBadResponse):
        read_promotion_page(stored)
