"""Every refusal, whichever layer makes it, has one JSON shape with a stable code; it is
counted by code in graphql_errors_total and logged with it (gateway/http/_asgi.py)."""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from gateway.observability._logs import ACCESS, JsonFormatter
from gateway.settings import Settings
from sandbox import DEMO_AUTHORIZATION
from tests.conftest import GatewayClient, SandboxAdmin, gateway_for, settings_for
from tests.test_operations import samples, value

pytestmark = pytest.mark.integration

GQL = "application/graphql-response+json"
TYPENAME = {"query": "{ __typename }"}
DEEP = "{ a: __typename " + "b: __typename " * 40 + "}"
HASH = "ab" * 32

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def post(payload: object, **headers: str) -> Send:
    async def send(http: httpx.AsyncClient) -> httpx.Response:
        return await http.post(
            "/graphql",
            content=json.dumps(payload),
            headers={"Content-Type": "application/json", **headers},
        )

    return send


def raw(method: str, content: bytes = b"", **headers: str) -> Send:
    async def send(http: httpx.AsyncClient) -> httpx.Response:
        return await http.request(method, "/graphql", content=content, headers=headers)

    return send


def get(params: dict[str, str], **headers: str) -> Send:
    async def send(http: httpx.AsyncClient) -> httpx.Response:
        return await http.get("/graphql", params=params, headers=headers)

    return send


# (id, settings changes, request, status, code)
REFUSALS: list[tuple[str, dict[str, Any], Send, int, str]] = [
    (
        "body-not-json",
        {},
        raw("POST", b"{", **{"Content-Type": "application/json"}),
        400,
        "BAD_REQUEST",
    ),
    ("variables-shape", {}, post({**TYPENAME, "variables": [1]}), 400, "BAD_REQUEST"),
    ("missing-query", {}, post({"variables": {}}), 400, "BAD_REQUEST"),
    ("batch", {}, post([TYPENAME, TYPENAME]), 400, "BAD_REQUEST"),
    (
        "media-type",
        {},
        raw("POST", b"{}", **{"Content-Type": "text/plain"}),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    ("method", {}, raw("PUT"), 405, "METHOD_NOT_ALLOWED"),
    ("accept", {}, post(TYPENAME, Accept="text/csv"), 406, "NOT_ACCEPTABLE"),
    (
        "csrf",
        {"environment": "production"},
        get({"query": "{ __typename }"}),
        400,
        "CSRF_PREFLIGHT_REQUIRED",
    ),
    (
        "413",
        {"max_request_bytes": 100},
        post({"query": "{ __typename }", "pad": "x" * 200}),
        413,
        "PAYLOAD_TOO_LARGE",
    ),
    (
        "apq-not-found",
        {},
        post({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": HASH}}}),
        200,
        "PERSISTED_QUERY_NOT_FOUND",
    ),
    (
        "apq-off",
        {"apq_max_entries": 0},
        post({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": HASH}}}),
        400,
        "PERSISTED_QUERY_NOT_SUPPORTED",
    ),
]


@pytest.mark.parametrize("accept", [None, GQL])
@pytest.mark.parametrize(
    ("changes", "send", "status", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSALS],
)
async def test_every_refusal_is_one_json_shape_counted_and_logged(
    sandbox: SandboxAdmin,
    caplog: pytest.LogCaptureFixture,
    changes: dict[str, Any],
    send: Send,
    status: int,
    code: str,
    accept: str | None,
) -> None:
    settings = settings_for(sandbox.url, **changes)
    async with gateway_for(settings) as gateway:
        if accept is not None and code != "NOT_ACCEPTABLE":
            gateway.http.headers["Accept"] = accept
        with caplog.at_level(logging.INFO, logger=ACCESS):
            response = await send(gateway.http)
        metrics = samples((await gateway.http.get("/metrics")).text)
    assert response.status_code == status
    expected_type = (
        accept if accept is not None and code != "NOT_ACCEPTABLE" else "application/json"
    )
    assert response.headers["content-type"] == f"{expected_type}; charset=utf-8"
    # Private to the credential, as every GraphQL response is (docs/security.md).
    assert response.headers["cache-control"] == "private, no-store"
    assert [v.strip() for v in response.headers["vary"].split(",")].count("Authorization") == 1
    body = response.json()
    assert set(body) == {"errors"}  # no data: nothing ran
    [error] = body["errors"]
    assert set(error) == {"message", "extensions"}
    assert error["extensions"]["code"] == code
    assert error["message"]
    assert "Traceback" not in error["message"]
    assert value(metrics, "graphql_errors_total", code=code) == 1
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS]
    graphql_lines = [line for line in lines if line["path"] == "/graphql"]
    assert graphql_lines[-1]["errorCodes"] == [code]
    assert graphql_lines[-1]["status"] == status


@pytest.mark.parametrize(("accept", "status"), [(GQL, 400), (None, 200)])
async def test_an_operation_over_a_limit_is_counted_and_logged(
    sandbox: SandboxAdmin, caplog: pytest.LogCaptureFixture, accept: str | None, status: int
) -> None:
    headers = {"Accept": accept} if accept else {}
    async with gateway_for(settings_for(sandbox.url, max_aliases=5)) as gateway:
        with caplog.at_level(logging.INFO, logger=ACCESS):
            response = await gateway.http.post("/graphql", json={"query": DEEP}, headers=headers)
        metrics = samples((await gateway.http.get("/metrics")).text)
    assert response.status_code == status  # application/json keeps 200, with "data": null
    assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_LIMIT_EXCEEDED"
    assert ("data" in response.json()) is (accept is None)
    assert value(metrics, "graphql_errors_total", code="OPERATION_LIMIT_EXCEEDED") == 1
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS]
    assert lines[-1]["errorCodes"] == ["OPERATION_LIMIT_EXCEEDED"]


async def test_limit_refusals_carry_limit_max_and_actual(sandbox: SandboxAdmin) -> None:
    async with gateway_for(settings_for(sandbox.url, max_aliases=5)) as gateway:
        aliases = await gateway.http.post("/graphql", json={"query": DEEP})
    async with gateway_for(settings_for(sandbox.url, max_tokens=20)) as gateway:
        tokens = await gateway.http.post("/graphql", json={"query": "{ " + "a " * 30 + "}"})
    async with gateway_for(settings_for(sandbox.url, max_request_bytes=100)) as gateway:
        big = await gateway.http.post("/graphql", json={"query": "{ __typename }", "p": "x" * 200})
    assert aliases.json()["errors"][0]["extensions"] == {
        "code": "OPERATION_LIMIT_EXCEEDED",
        "limit": "rootFields",
        "max": 10,
        "actual": 41,
    }
    assert tokens.json()["errors"][0]["extensions"] == {
        "code": "OPERATION_LIMIT_EXCEEDED",
        "limit": "tokens",
        "max": 20,
        "actual": 21,  # the parser stops there: at least that many
    }
    too_large = big.json()["errors"][0]["extensions"]
    assert too_large["limit"] == "requestBytes"
    assert too_large["max"] == 100
    assert too_large["actual"] == len(big.request.content)


async def test_a_shed_request_carries_the_limit_too(sandbox: SandboxAdmin) -> None:
    sandbox.faults(latency_ms=800)
    async with gateway_for(settings_for(sandbox.url, max_concurrent_requests=1)) as gateway:
        slow = asyncio.ensure_future(
            gateway.post('query P { promotion(programId: "973", id: "200001") { id } }')
        )
        await asyncio.sleep(0.3)
        shed = await gateway.http.post("/graphql", json=TYPENAME)
        await slow
    assert shed.status_code == 503
    assert shed.headers["Retry-After"] == "1"
    assert shed.json()["errors"][0]["extensions"] == {
        "code": "OVERLOADED",
        "limit": "concurrentRequests",
        "max": 1,
        "actual": 2,
        "retryAfter": 1,
    }


async def test_a_rate_limited_client_is_told_its_count_and_when_to_retry(
    sandbox: SandboxAdmin,
) -> None:
    settings = settings_for(sandbox.url, client_rate_limit_per_min=60)
    async with gateway_for(settings) as gateway:
        statuses = [(await gateway.post("{ __typename }")).status_code for _ in range(6)]
        refused = await gateway.post("{ __typename }")
        metrics = samples((await gateway.http.get("/metrics")).text)
    assert statuses == [200] * 6
    assert refused.status_code == 429
    extensions = refused.json()["errors"][0]["extensions"]
    assert extensions["code"] == "RATE_LIMITED"
    assert (extensions["limit"], extensions["max"], extensions["actual"]) == (
        "clientRequestsPerMinute",
        60,
        7,
    )
    assert int(refused.headers["Retry-After"]) == extensions["retryAfter"] >= 1
    assert value(metrics, "graphql_errors_total", code="RATE_LIMITED") == 1


WRONG = "Basic d3Jvbmc6d3Jvbmc="


@pytest.mark.parametrize(
    ("configured", "sent", "expected"),
    [
        # The client's own credential, rejected (a default or not): the client's to fix.
        (None, WRONG, "rejected the credential in the `Authorization` header"),
        (DEMO_AUTHORIZATION, WRONG, "rejected the credential in the `Authorization` header"),
        # The gateway's configured default, rejected: the operator's to fix.
        (WRONG, None, "rejected the gateway's configured default credential"),
        # None at all.
        (None, None, "No credential: send an `Authorization` header"),
    ],
)
async def test_a_rejected_credential_is_not_a_missing_one_nor_the_gateway_s(
    sandbox: SandboxAdmin, configured: str | None, sent: str | None, expected: str
) -> None:
    settings = Settings(upstream_url=sandbox.url, upstream_authorization=configured)
    async with gateway_for(settings) as gateway:
        body = await gateway.query(
            'query P { promotion(programId: "973", id: "200001") { id } }',
            authorization=sent,
        )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert expected in error["message"]
    assert WRONG not in error["message"]
    assert WRONG.split()[1] not in error["message"]


async def test_a_development_gateway_needs_no_preflight_header_for_get(
    gateway: GatewayClient,
) -> None:
    response = await gateway.http.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200


async def test_csrf_prevention_can_be_turned_on_in_development_and_off_in_production(
    sandbox: SandboxAdmin,
) -> None:
    for changes, expected in (
        ({"csrf_prevention": True}, 400),
        ({"environment": "production", "csrf_prevention": False}, 200),
    ):
        async with gateway_for(settings_for(sandbox.url, **changes)) as gateway:
            response = await gateway.http.get(
                "/graphql",
                params={"query": "{ __typename }"},
                headers={"Authorization": DEMO_AUTHORIZATION},
            )
        assert response.status_code == expected, changes
