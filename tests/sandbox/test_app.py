import httpx
import pytest

from sandbox import BRAND_B_AUTHORIZATION, DEMO_AUTHORIZATION
from sandbox.app import CUSTOMER_PATH
from tests.conftest import SandboxAdmin
from tests.queries import BIG_CUSTOMER

pytestmark = pytest.mark.integration

PARAMS = {"identifierName": "mobile", "identifierValue": BIG_CUSTOMER, "source": "INSTORE"}


def lookup(sandbox: SandboxAdmin, authorization: str, **extra: str) -> httpx.Response:
    return httpx.get(
        f"{sandbox.url}{CUSTOMER_PATH}",
        params={**PARAMS, **extra},
        headers={"Authorization": authorization},
    )


def test_a_repeated_customer_lookup_answers_the_same_per_tenant_and_is_counted(
    sandbox: SandboxAdmin,
) -> None:
    first, again = lookup(sandbox, DEMO_AUTHORIZATION), lookup(sandbox, DEMO_AUTHORIZATION)
    assert first.content == again.content
    other = lookup(sandbox, BRAND_B_AUTHORIZATION).json()
    assert all(p["promotionName"].startswith("[B] ") for p in other["promotions"])
    assert lookup(sandbox, DEMO_AUTHORIZATION, limit="3").json()["pageDetails"]["pageSize"] == 3
    assert sandbox.calls("customer_promotions") == 4
