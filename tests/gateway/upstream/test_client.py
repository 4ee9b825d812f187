import asyncio
import json
from typing import Any

import httpx
import pytest

from gateway import errors
from gateway.credentials import Credential
from gateway.deadline import Deadline
from gateway.settings import Settings
from gateway.upstream.client import UpstreamClient, customer_promotions_params
from gateway.upstream.queries import CustomerIdentity, CustomerPromotionsQuery
from gateway.upstream.records import (
    CustomerIdentifierType,
    CustomerPromotionStatus,
    CustomerSource,
    PromotionType,
)

SETTINGS = Settings(upstream_url="http://upstream.test", upstream_timeout_s=0.2)
CREDENTIAL = Credential.from_header("Basic c2VjcmV0", secret=b"k")


def soon() -> Deadline:
    return Deadline.after(5)


def client_for(handler: httpx.MockTransport, **changes: Any) -> UpstreamClient:
    http = httpx.AsyncClient(base_url="http://upstream.test", transport=handler)
    return UpstreamClient(http, SETTINGS.replace(**changes))


def answering(status: int, body: object, headers: dict[str, str] | None = None) -> UpstreamClient:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client_for(
        httpx.MockTransport(lambda _: httpx.Response(status, content=content, headers=headers))
    )


async def test_the_credential_is_forwarded_unchanged_on_the_default_path() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": [{"id": 7, "programId": 469}]})

    client = client_for(httpx.MockTransport(handler))
    promotion = await client.promotion(CREDENTIAL, "469", "7", soon())
    assert promotion.id == "7"
    assert seen[0].headers["Authorization"] == "Basic c2VjcmV0"
    assert seen[0].url.path == "/v1/api_gateway/loyalty/v1/programs/469/promotions/7"


def test_customer_parameters_use_the_vendor_spellings() -> None:
    query = CustomerPromotionsQuery(
        customer=CustomerIdentity(
            CustomerIdentifierType.EXTERNAL_ID, "000003873354", CustomerSource.INSTORE
        ),
        start=40,
        limit=20,
        status=CustomerPromotionStatus.AVAILABLE_TO_REDEEM,
        type=PromotionType.LOYALTY,
        program_ids=("469", "973"),
        fetch_all_usage=True,
    )
    assert customer_promotions_params(query) == {
        "identifierName": "externalId",
        "identifierValue": "000003873354",
        "source": "INSTORE",
        "limit": "20",
        "offset": "40",
        "promotionStatusForCustomer": "AVAILABLE_TO_REDEEM",
        "promotionType": "DIRECT_ISSUE",
        "programs": "469,973",
        "fetchAllUsage": "true",
    }


@pytest.mark.parametrize(
    ("status", "body", "error", "upstream_code"),
    [
        (404, {"status": {"code": 4029, "message": "x"}}, errors.PromotionNotFound, 4029),
        (400, {"status": {"code": 2010, "message": "x"}}, errors.ProgramNotFound, 2010),
        (200, {"status": {"code": 4029, "message": "x"}}, errors.PromotionNotFound, 4029),
        (404, b"", errors.PromotionNotFound, None),
        (401, b"", errors.Unauthenticated, None),
        (403, {"errors": [{"code": 403}]}, errors.Forbidden, 403),
        (503, b"<html>down</html>", errors.UpstreamUnavailable, None),
        (200, b"<html>oops</html>", errors.UpstreamBadResponse, None),
        (200, b'{"data": [{"id": 1, "na', errors.UpstreamBadResponse, None),
        (200, {"errors": [{"code": 9999, "message": "x"}]}, errors.UpstreamBadResponse, 9999),
        (400, {"errors": [{"code": 1234}]}, errors.BadUserInput, 1234),
        (418, b"", errors.UpstreamBadResponse, None),
    ],
)
async def test_failures_map_onto_the_error_hierarchy(
    status: int,
    body: object,
    error: type[errors.GatewayError],
    upstream_code: int | None,
) -> None:
    with pytest.raises(error) as raised:
        await answering(status, body).promotion(CREDENTIAL, "469", "7", soon())
    assert raised.value.upstream_code == upstream_code
    assert "oops" not in raised.value.message
    assert "upstream.test" not in raised.value.message


async def test_a_429_is_rate_limited_with_retry_after() -> None:
    with pytest.raises(errors.RateLimited) as raised:
        await answering(429, b"", {"Retry-After": "7"}).promotion(CREDENTIAL, "469", "7", soon())
    assert raised.value.extensions == {"code": "RATE_LIMITED", "retryAfter": 7}


async def test_a_customer_404_is_customer_not_found() -> None:
    query = CustomerPromotionsQuery(
        CustomerIdentity(CustomerIdentifierType.MOBILE, "1", CustomerSource.INSTORE)
    )
    with pytest.raises(errors.CustomerNotFound):
        await answering(404, b"").customer_promotions(CREDENTIAL, query, soon())


async def test_a_slow_upstream_hits_the_total_deadline() -> None:
    async def slow(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={})

    with pytest.raises(errors.UpstreamTimeout):
        await client_for(httpx.MockTransport(slow)).promotion(CREDENTIAL, "469", "7", soon())


async def test_a_connection_failure_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(errors.UpstreamUnavailable):
        await client_for(httpx.MockTransport(refuse)).promotion(CREDENTIAL, "469", "7", soon())
