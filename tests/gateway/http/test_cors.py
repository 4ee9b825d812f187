"""CORS preflights (gateway/http/_cors.py): localhost in development, exact and wildcard
origins from CORS_ORIGINS, the headers mainstream clients and tracing send."""

from typing import Any

import pytest

from tests.conftest import SandboxAdmin, gateway_for, settings_for

pytestmark = pytest.mark.integration

CLIENT_HEADERS = (
    "content-type, authorization, apollographql-client-name, apollographql-client-version, "
    "traceparent, tracestate, baggage, sentry-trace, x-request-id, x-gateway-explain, "
    "apollo-require-preflight, x-apollo-operation-name"
)


def preflight(origin: str, headers: str = CLIENT_HEADERS, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def vary(response: Any) -> list[str]:
    return [v.strip() for v in response.headers.get("vary", "").split(",")]


async def options(settings: dict[str, Any], sandbox: SandboxAdmin, **headers: str) -> Any:
    async with gateway_for(settings_for(sandbox.url, **settings)) as gateway:
        return await gateway.http.options("/graphql", headers=headers)


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:3000",
        "http://localhost:5173",
        "http://127.0.0.1:8080",
        "https://localhost",
    ],
)
async def test_development_allows_any_local_dev_server(sandbox: SandboxAdmin, origin: str) -> None:
    response = await options({}, sandbox, **preflight(origin))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in CLIENT_HEADERS.split(", "):
        assert header in allowed


@pytest.mark.parametrize(
    "origin", ["http://localhost.evil.example", "https://evil.example", "http://127.0.0.2:80"]
)
async def test_development_allows_no_other_origin(sandbox: SandboxAdmin, origin: str) -> None:
    response = await options({}, sandbox, **preflight(origin))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert "Origin" in vary(response)  # the answer depends on the origin
    assert response.json()["errors"][0]["extensions"]["code"] == "CORS_NOT_ALLOWED"
    assert "CORS_ORIGINS" in response.json()["errors"][0]["message"]


async def test_production_allows_no_localhost_unless_configured(sandbox: SandboxAdmin) -> None:
    response = await options(
        {"environment": "production"}, sandbox, **preflight("http://localhost:3000")
    )
    assert "access-control-allow-origin" not in response.headers
    configured = await options(
        {"environment": "production", "cors_origins": ("http://localhost:3000",)},
        sandbox,
        **preflight("http://localhost:3000"),
    )
    assert configured.headers["access-control-allow-origin"] == "http://localhost:3000"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.com", True),
        ("https://a.b.example.com", True),
        ("https://example.com", False),  # the apex is not a subdomain
        ("http://app.example.com", False),  # another scheme
        ("https://app.example.com.evil.example", False),
        ("https://appexample.com", False),
        ("https://exact.example.org", True),
        ("https://other.example.org", False),
    ],
)
async def test_cors_origins_take_exact_origins_and_wildcard_subdomains(
    sandbox: SandboxAdmin, origin: str, allowed: bool
) -> None:
    settings = {
        "environment": "production",
        "cors_origins": ("https://*.example.com", "https://exact.example.org"),
    }
    response = await options(settings, sandbox, **preflight(origin))
    assert (response.status_code == 200) is allowed
    assert (response.headers.get("access-control-allow-origin") == origin) is allowed


async def test_an_unknown_request_header_is_refused_by_name(sandbox: SandboxAdmin) -> None:
    response = await options(
        {}, sandbox, **preflight("http://localhost:3000", headers="content-type, x-secret")
    )
    assert response.status_code == 400
    assert "x-secret" in response.json()["errors"][0]["message"]
    assert "Origin" in vary(response)


async def test_responses_expose_the_request_id(sandbox: SandboxAdmin) -> None:
    async with gateway_for(settings_for(sandbox.url)) as gateway:
        response = await gateway.http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": "http://localhost:5173"},
        )
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "X-Request-ID" in response.headers["access-control-expose-headers"]
    assert response.headers["x-request-id"]


async def test_a_method_the_view_does_not_serve_is_refused_by_name(sandbox: SandboxAdmin) -> None:
    response = await options(
        {}, sandbox, **preflight("http://localhost:3000", headers="content-type", method="PUT")
    )
    assert response.status_code == 400
    assert "GET and POST, not PUT" in response.json()["errors"][0]["message"]
