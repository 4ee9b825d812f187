import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway import errors
from gateway.credentials import Credential
from gateway.deadline import Deadline
from gateway.settings import Settings
from gateway.upstream._calls import Caller
from gateway.upstream._client import UpstreamClient, customer_promotions_params
from gateway.upstream.queries import CustomerIdentity, CustomerPromotionsQuery
from gateway.upstream.records import (
    CustomerIdentifierType,
    CustomerPromotionStatus,
    CustomerSource,
    PromotionType,
)

SETTINGS = Settings(upstream_url="http://upstream.test", upstream_timeout_s=0.2)
CREDENTIAL = Credential.from_header("Basic c2VjcmV0", secret=b"k")


def soon() -> Caller:
    return Caller(Deadline.after(5))


def client_for(handler: httpx.MockTransport, **changes: Any) -> UpstreamClient:
    return UpstreamClient(handler, SETTINGS.replace(**changes))


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


async def test_query_parameters_and_the_base_path_are_kept() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"customerId": 1, "promotions": []})

    client = client_for(httpx.MockTransport(handler), upstream_url="http://upstream.test/loyalty")
    query = CustomerPromotionsQuery(
        customer=CustomerIdentity(
            CustomerIdentifierType.EXTERNAL_ID, "a b&c=d/é", CustomerSource.INSTORE
        ),
        program_ids=("469", "973"),
    )
    await client.customer_promotions(CREDENTIAL, query, soon())
    url = seen[0].url
    assert url.path == "/loyalty/v2/customers/lookup/promotionData"
    assert url.params["identifierValue"] == "a b&c=d/é"
    assert url.params["programs"] == "469,973"
    assert seen[0].headers["Accept"] == "application/json"
    assert seen[0].extensions["timeout"] == httpx.Timeout(0.2).as_dict()


async def test_cookies_an_answer_sets_are_never_sent_again() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        cookie = {"Set-Cookie": f"session={len(seen)}; Path=/"}
        return httpx.Response(200, json={"data": [{"id": 7, "programId": 469}]}, headers=cookie)

    client = client_for(httpx.MockTransport(handler))
    other = Credential.from_header("Basic b3RoZXI=", secret=b"k")
    await client.promotion(CREDENTIAL, "469", "7", soon())
    await client.promotion(other, "469", "7", soon())
    assert [request.headers.get("Cookie") for request in seen] == [None, None]
    assert seen[1].headers["Authorization"] == "Basic b3RoZXI="


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


class Scripted:
    """A mock upstream answering from a script, one response per request (last repeats)."""

    def __init__(self, *responses: httpx.Response | type[Exception]) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(answer, type):
            raise answer("scripted", request=request)  # type: ignore[call-arg]
        return answer


PROMOTION = httpx.Response(200, json={"data": [{"id": 7, "programId": 469}]})


async def test_503s_are_retried_until_an_answer() -> None:
    upstream = Scripted(httpx.Response(503), httpx.Response(503), PROMOTION)
    client = client_for(httpx.MockTransport(upstream), upstream_retry_base_s=0.001)
    promotion = await client.promotion(CREDENTIAL, "469", "7", soon())
    assert promotion.id == "7"
    assert len(upstream.requests) == 3


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_at_most_two_retries(status: int) -> None:
    upstream = Scripted(httpx.Response(status))
    client = client_for(httpx.MockTransport(upstream), upstream_retry_base_s=0.001)
    with pytest.raises(errors.UpstreamUnavailable):
        await client.promotion(CREDENTIAL, "469", "7", soon())
    assert len(upstream.requests) == 3


async def test_connection_errors_are_retried() -> None:
    upstream = Scripted(httpx.ConnectError, PROMOTION)
    client = client_for(httpx.MockTransport(upstream), upstream_retry_base_s=0.001)
    await client.promotion(CREDENTIAL, "469", "7", soon())
    assert len(upstream.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
async def test_other_failures_are_never_retried(status: int) -> None:
    upstream = Scripted(httpx.Response(status))
    client = client_for(httpx.MockTransport(upstream), upstream_retry_base_s=0.001)
    with pytest.raises(errors.GatewayError):
        await client.promotion(CREDENTIAL, "469", "7", soon())
    assert len(upstream.requests) == 1


async def test_a_timeout_is_not_retried() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return PROMOTION

    calls = 0

    async def counted(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return await slow(request)

    client = client_for(httpx.MockTransport(counted), upstream_timeout_s=0.05)
    with pytest.raises(errors.UpstreamTimeout):
        await client.promotion(CREDENTIAL, "469", "7", soon())
    assert calls == 1


async def test_a_429_is_retried_after_what_it_asked() -> None:
    upstream = Scripted(httpx.Response(429, headers={"Retry-After": "0"}), PROMOTION)
    client = client_for(httpx.MockTransport(upstream))
    await client.promotion(CREDENTIAL, "469", "7", soon())
    assert len(upstream.requests) == 2


async def test_a_retry_after_beyond_the_cap_or_the_deadline_is_not_waited_for() -> None:
    upstream = Scripted(httpx.Response(503, headers={"Retry-After": "2"}))
    client = client_for(httpx.MockTransport(upstream), upstream_retry_after_max_s=5)
    with pytest.raises(errors.UpstreamUnavailable):
        await client.promotion(CREDENTIAL, "469", "7", Caller(Deadline.after(1)))
    assert len(upstream.requests) == 1

    capped = client_for(httpx.MockTransport(upstream), upstream_retry_after_max_s=1)
    with pytest.raises(errors.UpstreamUnavailable):
        await capped.promotion(CREDENTIAL, "469", "7", soon())
    assert len(upstream.requests) == 2


async def test_the_retry_budget_stops_retries_multiplying_load() -> None:
    upstream = Scripted(httpx.Response(503))
    client = client_for(
        httpx.MockTransport(upstream),
        upstream_retry_base_s=0.0,
        upstream_retry_budget=0.0,
        breaker_failure_threshold=1000,
    )
    for _ in range(20):
        with pytest.raises(errors.UpstreamUnavailable):
            await client.promotion(CREDENTIAL, "469", "7", soon())
    # 20 calls, and only the budget's floor of 5 retries.
    assert len(upstream.requests) == 25


async def test_the_breaker_opens_and_then_fails_fast_without_calling() -> None:
    upstream = Scripted(httpx.Response(500))
    client = client_for(httpx.MockTransport(upstream), breaker_failure_threshold=5)
    for _ in range(5):
        with pytest.raises(errors.UpstreamUnavailable):
            await client.promotion(CREDENTIAL, "469", "7", soon())
    assert len(upstream.requests) == 5
    with pytest.raises(errors.UpstreamUnavailable) as raised:
        await client.promotion(CREDENTIAL, "469", "7", soon())
    assert len(upstream.requests) == 5
    assert raised.value.extensions["retryAfter"] >= 1
    # Other endpoints have their own breaker.
    query = CustomerPromotionsQuery(
        CustomerIdentity(CustomerIdentifierType.MOBILE, "1", CustomerSource.INSTORE)
    )
    with pytest.raises(errors.UpstreamUnavailable):
        await client.customer_promotions(CREDENTIAL, query, soon())
    assert len(upstream.requests) == 6


async def test_4xx_answers_do_not_trip_the_breaker() -> None:
    upstream = Scripted(httpx.Response(404, json={"status": {"code": 4029}}))
    client = client_for(httpx.MockTransport(upstream), breaker_failure_threshold=2)
    for _ in range(5):
        with pytest.raises(errors.PromotionNotFound):
            await client.promotion(CREDENTIAL, "469", "7", soon())
    assert len(upstream.requests) == 5


async def test_a_body_over_the_cap_is_refused_declared_or_not() -> None:
    big = b'{"data": [' + b'{"id": 1},' * 1000 + b'{"id": 2}]}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 100):
            yield big[start : start + 100]

    def chunked(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())

    for handler in (lambda _request: httpx.Response(200, content=big), chunked):
        client = client_for(httpx.MockTransport(handler), upstream_max_body_bytes=5000)
        with pytest.raises(errors.UpstreamBadResponse) as raised:
            await client.promotion(CREDENTIAL, "469", "7", soon())
        assert "larger than" in raised.value.message


async def test_the_operation_deadline_cuts_a_call_short() -> None:
    async def slow(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return PROMOTION

    client = client_for(httpx.MockTransport(slow), upstream_timeout_s=5)
    with pytest.raises(errors.UpstreamTimeout) as raised:
        await client.promotion(CREDENTIAL, "469", "7", Caller(Deadline.after(0.05)))
    assert "budget" in raised.value.message


async def test_the_rate_limit_fails_fast_when_the_wait_is_too_long() -> None:
    upstream = Scripted(PROMOTION)
    client = client_for(
        httpx.MockTransport(upstream),
        upstream_rate_limit_per_min=60,
        upstream_rate_limit_max_wait_s=0.1,
    )
    outcomes: list[str] = []
    refusals: list[errors.RateLimited] = []
    for _ in range(8):
        try:
            await client.promotion(CREDENTIAL, "469", "7", soon())
            outcomes.append("ok")
        except errors.RateLimited as error:
            outcomes.append(error.code)
            refusals.append(error)
    assert all(error.extensions["retryAfter"] >= 1 for error in refusals)
    # A bucket of six (a tenth of the minute's 60), then refusals without a call.
    assert outcomes == ["ok"] * 6 + ["RATE_LIMITED"] * 2
    assert len(upstream.requests) == 6
