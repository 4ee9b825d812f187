"""One test per attack on the front door, against a production-mode gateway over the sandbox."""

import asyncio
import json
import logging
import statistics
import time
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.operations._documents import sha256_hex
from gateway.settings import Settings, SettingsError
from sandbox import BRAND_B_AUTHORIZATION, DEMO_AUTHORIZATION
from tests.conftest import GatewayClient, SandboxAdmin, gateway_for, settings_for
from tests.gateway.operations.test_limits import fan_out
from tests.queries import BIG_CUSTOMER, WALLET

pytestmark = pytest.mark.integration

PROMOTION = '{ promotion(programId: "973", id: "200001") { id name } }'
JSON = {"Content-Type": "application/json", "Authorization": DEMO_AUTHORIZATION}


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.fixture
def production(sandbox: SandboxAdmin) -> Settings:
    return settings_for(sandbox.url, environment="production")


@pytest.fixture
async def gateway(production: Settings) -> AsyncIterator[GatewayClient]:
    async with gateway_for(production) as client:
        yield client


async def test_a_fragment_fan_out_is_refused_fast_while_others_are_served(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    attack = fan_out(30)
    assert len(attack) < 2048

    async def attacker() -> list[float]:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            body = await gateway.query(attack)
            timings.append(time.perf_counter() - started)
            assert codes(body) == ["OPERATION_LIMIT_EXCEEDED"]
            assert body["errors"][0]["extensions"]["limit"] == "fields"
        return timings

    async def customer() -> list[dict[str, Any]]:
        return [await gateway.query(PROMOTION) for _ in range(5)]

    await gateway.query("{ __typename }")  # first use of the app: warm
    timings, served = await asyncio.gather(attacker(), customer())
    # Measured in microseconds when idle; the median keeps a noisy neighbour out.
    assert statistics.median(timings) < 0.1
    assert all("errors" not in body for body in served)
    assert sandbox.calls("promotion") == 1  # the attack made none


async def test_an_alias_flood_is_refused(gateway: GatewayClient, sandbox: SandboxAdmin) -> None:
    flood = (
        '{ promotion(programId: "973", id: "200001") { '
        + " ".join(f"a{i}: id" for i in range(500))
        + " } }"
    )
    body = await gateway.query(flood)
    assert codes(body) == ["OPERATION_LIMIT_EXCEEDED"]
    assert body["errors"][0]["extensions"] == {
        "code": "OPERATION_LIMIT_EXCEEDED",
        "limit": "aliases",
        "max": 30,
        "actual": 500,
    }
    assert sandbox.calls("promotion") == 0


async def test_a_root_field_flood_is_refused(gateway: GatewayClient, sandbox: SandboxAdmin) -> None:
    flood = (
        "{ "
        + " ".join(
            f'p{i}: promotion(programId: "973", id: "{200001 + i}") {{ id }}' for i in range(25)
        )
        + " }"
    )
    body = await gateway.query(flood)
    assert codes(body) == ["OPERATION_LIMIT_EXCEEDED"]
    assert sandbox.calls("promotion") == 0


async def test_a_document_over_the_token_limit_is_refused(gateway: GatewayClient) -> None:
    body = await gateway.query("{ " + "__typename " * 4000 + "}")
    assert codes(body) == ["OPERATION_LIMIT_EXCEEDED"]
    assert body["errors"][0]["extensions"]["limit"] == "tokens"


async def test_a_deep_query_is_refused(gateway: GatewayClient) -> None:
    deep = "{ " + "a { " * 40 + "b" + " }" * 40 + " }"
    assert codes(await gateway.query(deep)) == ["OPERATION_LIMIT_EXCEEDED"]


async def test_a_3_mb_body_is_413_declared_or_chunked(gateway: GatewayClient) -> None:
    big = json.dumps({"query": "{ __typename }", "variables": {"x": "y" * 3_000_000}}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    declared = await gateway.http.post("/graphql", content=big, headers=JSON)
    chunked = await gateway.http.post("/graphql", content=chunks(), headers=JSON)
    assert "content-length" not in {k.lower() for k in chunked.request.headers}
    for response in (declared, chunked):
        assert response.status_code == 413
        assert codes(response.json()) == ["PAYLOAD_TOO_LARGE"]


async def test_introspection_is_off_in_production(gateway: GatewayClient) -> None:
    for document in (
        "{ __schema { types { name } } }",
        '{ __type(name: "Promotion") { fields { name } } }',
    ):
        body = await gateway.query(document)
        assert body["data"] is None
        assert set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}


@pytest.mark.parametrize(
    "document",
    [
        '{ promotion(programId: "1", id: "2") { nam } }',  # field
        '{ promotion(programId: "1", idd: "2") { name } }',  # argument
        "query($f: PromotionFiltr) { promotions(filter: $f) { totalCount } }",  # type
        "{ promotions(filter: {status: LIVEE}) { totalCount } }",  # enum value
    ],
)
async def test_no_suggestions_in_production(gateway: GatewayClient, document: str) -> None:
    body = await gateway.query(document)
    assert body["errors"]
    assert "Did you mean" not in json.dumps(body)


async def test_an_enum_variable_gets_no_suggestion_either(gateway: GatewayClient) -> None:
    document = "query($s: PromotionStatus) { promotions(filter: {status: $s}) { totalCount } }"
    body = await gateway.query(document, {"s": "LIVEE"})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "Did you mean" not in json.dumps(body)


async def test_development_keeps_suggestions(sandbox: SandboxAdmin) -> None:
    async with gateway_for(settings_for(sandbox.url)) as gateway:
        body = await gateway.query('{ promotion(programId: "1", id: "2") { nam } }')
    assert "Did you mean" in body["errors"][0]["message"]


async def test_no_graphiql_in_production(gateway: GatewayClient) -> None:
    page = await gateway.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 406  # no page to offer: JSON only
    assert "graphiql" not in page.text.lower()


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
async def test_csrf_simple_posts_are_refused(
    gateway: GatewayClient, sandbox: SandboxAdmin, content_type: str | None
) -> None:
    headers = {"Authorization": DEMO_AUTHORIZATION}
    if content_type:
        headers["Content-Type"] = content_type
    response = await gateway.http.post(
        "/graphql", content=json.dumps({"query": PROMOTION}), headers=headers
    )
    assert response.status_code == 415
    assert codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]
    assert "application/json" in response.json()["errors"][0]["message"]
    assert sandbox.calls("promotion") == 0


async def test_csrf_a_get_query_needs_a_preflight_header(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    auth = {"Authorization": DEMO_AUTHORIZATION}
    bare = await gateway.http.get("/graphql", params={"query": PROMOTION}, headers=auth)
    assert bare.status_code == 400
    assert codes(bare.json()) == ["CSRF_PREFLIGHT_REQUIRED"]
    message = bare.json()["errors"][0]["message"]
    assert "Apollo-Require-Preflight" in message  # one way out
    assert "persisted query" in message  # the other
    assert sandbox.calls("promotion") == 0
    for header in ({"Apollo-Require-Preflight": "true"}, {"X-Apollo-Operation-Name": "P"}):
        allowed = await gateway.http.get(
            "/graphql", params={"query": PROMOTION}, headers={**auth, **header}
        )
        assert allowed.status_code == 200
        assert allowed.json()["data"]["promotion"]["id"] == "200001"


async def test_csrf_a_get_with_a_query_needs_a_preflight_header_even_with_its_hash(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    # The query's text makes the GET run whatever a cross-site page wrote: a hash
    # beside it (the right one, so APQ would register it) exempts nothing.
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(PROMOTION)}}
    both = await gateway.http.get(
        "/graphql",
        params={"query": PROMOTION, "extensions": json.dumps(persisted)},
        headers={"Authorization": DEMO_AUTHORIZATION},
    )
    assert both.status_code == 400
    assert codes(both.json()) == ["CSRF_PREFLIGHT_REQUIRED"]
    assert sandbox.calls("promotion") == 0


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_websocket_handshakes_are_refused(production: Settings, protocol: str) -> None:
    app = create_app(production)
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "websocket.connect"}]

    async def receive() -> MutableMapping[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "websocket",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [(b"host", b"gateway"), (b"sec-websocket-protocol", protocol.encode())],
        "subprotocols": [protocol],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "asgi": {"version": "3.0"},
        "state": {},
    }
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    assert sent
    assert sent[0]["type"] in ("websocket.close", "websocket.http.response.start")
    assert all(message["type"] != "websocket.accept" for message in sent)


async def test_batches_are_refused(gateway: GatewayClient, sandbox: SandboxAdmin) -> None:
    batch = [{"query": PROMOTION}, {"query": PROMOTION}]
    response = await gateway.http.post("/graphql", json=batch, headers=JSON)
    assert response.status_code == 400
    assert codes(response.json()) == ["BAD_REQUEST"]
    assert sandbox.calls("promotion") == 0


async def test_an_operation_over_the_cost_budget_makes_no_call(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    twice = """{ a: customer(identifierType: MOBILE, identifierValue: "%s") { promotions(first: 100) { nodes { promotion { id } } } }
                 b: customer(identifierType: MOBILE, identifierValue: "%s") { promotions(first: 50) { nodes { promotion { id } } } } }"""
    body = await gateway.query(twice % (BIG_CUSTOMER, BIG_CUSTOMER))
    assert codes(body) == ["COST_LIMIT_EXCEEDED"]
    assert body["errors"][0]["extensions"]["estimatedUpstreamCalls"] == 152
    assert body["errors"][0]["extensions"]["maxUpstreamCalls"] == 120
    assert sandbox.stats()["calls"] == {}


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": sha256_hex(PROMOTION), "name": "P", "type": "query", "body": PROMOTION},
                    {"id": "wallet", "name": "Wallet", "type": "query", "body": WALLET},
                ],
            }
        )
    )
    return path


async def test_trusted_documents_only_run_what_is_listed(
    production: Settings, manifest: Path, sandbox: SandboxAdmin
) -> None:
    async with gateway_for(production.replace(trusted_documents=str(manifest))) as gateway:
        listed = await gateway.query(PROMOTION)
        by_id = await gateway.http.post(
            "/graphql",
            json={
                "extensions": {
                    "persistedQuery": {"version": 1, "sha256Hash": sha256_hex(PROMOTION)}
                }
            },
            headers=JSON,
        )
        wallet = await gateway.http.get(
            "/graphql",
            params={
                "variables": json.dumps({"mobile": BIG_CUSTOMER, "first": 2}),
                "extensions": json.dumps(
                    {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(WALLET)}}
                ),
            },
            headers={"Authorization": DEMO_AUTHORIZATION},
        )
        unlisted = await gateway.post('{ promotion(programId: "973", id: "200002") { id } }')
        # Not even valid GraphQL: refused as unlisted, so it was never parsed.
        garbage = await gateway.post("{ this is { not graphql")
        unknown_id = await gateway.http.post(
            "/graphql",
            json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "f" * 64}}},
            headers=JSON,
        )
    assert listed["data"]["promotion"]["id"] == "200001"
    assert by_id.json()["data"]["promotion"]["id"] == "200001"
    assert len(wallet.json()["data"]["customer"]["promotions"]["nodes"]) == 2
    assert codes(unlisted.json()) == ["QUERY_NOT_IN_SAFELIST"]
    assert codes(garbage.json()) == ["QUERY_NOT_IN_SAFELIST"]
    assert codes(unknown_id.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"]
    # 200001 once (the by-id run hit the cache), 200002 for the wallet's second node.
    assert sandbox.calls("promotion") == 2


def test_an_invalid_trusted_document_stops_the_start(tmp_path: Path, sandbox: SandboxAdmin) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"bad": "{ promotion { nope } }"}))
    with pytest.raises(SettingsError, match="TRUSTED_DOCUMENTS"):
        create_app(settings_for(sandbox.url, trusted_documents=str(path)))


async def test_automatic_persisted_queries_round_trip(
    gateway: GatewayClient, sandbox: SandboxAdmin
) -> None:
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(PROMOTION)}}
    unknown = await gateway.http.post("/graphql", json={"extensions": persisted}, headers=JSON)
    assert unknown.status_code == 200
    assert codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"

    registered = await gateway.http.post(
        "/graphql", json={"query": PROMOTION, "extensions": persisted}, headers=JSON
    )
    assert registered.json()["data"]["promotion"]["id"] == "200001"

    by_post = await gateway.http.post("/graphql", json={"extensions": persisted}, headers=JSON)
    by_get = await gateway.http.get(
        "/graphql",
        params={"extensions": json.dumps(persisted)},
        headers={"Authorization": DEMO_AUTHORIZATION},
    )
    assert by_post.json() == by_get.json() == registered.json()

    wrong = await gateway.http.post(
        "/graphql",
        json={"query": "{ __typename }", "extensions": persisted},
        headers=JSON,
    )
    assert codes(wrong.json()) == ["BAD_REQUEST"]


@pytest.mark.parametrize(
    "document",
    [
        "{ this is { not graphql",  # does not parse
        '{ promotion(programId: "973", id: "200001") { nope } }',  # does not validate
        "{ " + " ".join(f"a{n}: __typename" for n in range(200)) + " }",  # over the alias limit
    ],
    ids=["parse", "validation", "limits"],
)
async def test_a_persisted_query_is_stored_only_once_it_passes_the_guard(
    gateway: GatewayClient, document: str
) -> None:
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(document)}}
    offered = await gateway.http.post(
        "/graphql", json={"query": document, "extensions": persisted}, headers=JSON
    )
    assert "data" not in offered.json() or offered.json()["data"] is None
    again = await gateway.http.post("/graphql", json={"extensions": persisted}, headers=JSON)
    assert codes(again.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_each_client_has_its_own_rate_limit(sandbox: SandboxAdmin) -> None:
    settings = settings_for(sandbox.url, client_rate_limit_per_min=60)  # bursts of 6
    async with gateway_for(settings) as gateway:
        demo = [await gateway.post("{ __typename }") for _ in range(8)]
        other = await gateway.post("{ __typename }", authorization=BRAND_B_AUTHORIZATION)
    assert [r.status_code for r in demo] == [200] * 6 + [429] * 2
    assert demo[-1].headers["Retry-After"] == "1"
    assert codes(demo[-1].json()) == ["RATE_LIMITED"]
    assert other.status_code == 200


async def test_anonymous_clients_are_limited_by_address(sandbox: SandboxAdmin) -> None:
    # Even with a default credential, which every anonymous caller would share.
    settings = settings_for(
        sandbox.url, client_rate_limit_per_min=60, upstream_authorization=DEMO_AUTHORIZATION
    )
    async with gateway_for(settings) as gateway:
        statuses = [
            (await gateway.post("{ __typename }", authorization=None)).status_code for _ in range(7)
        ]
        own_credential = await gateway.post("{ __typename }")
    assert statuses == [200] * 6 + [429]
    assert own_credential.status_code == 200


async def test_responses_are_private_and_vary_by_credential(gateway: GatewayClient) -> None:
    response = await gateway.post(PROMOTION)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Authorization" in response.headers["Vary"]


async def test_cors_allows_only_the_configured_origins(sandbox: SandboxAdmin) -> None:
    settings = settings_for(sandbox.url, cors_origins=("https://app.example",))
    async with gateway_for(settings) as gateway:
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        good = await gateway.http.options(
            "/graphql", headers={"Origin": "https://app.example", **preflight}
        )
        evil = await gateway.http.options(
            "/graphql", headers={"Origin": "https://evil.example", **preflight}
        )
    assert good.status_code == 200
    assert good.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert evil.status_code == 400
    assert "Access-Control-Allow-Origin" not in evil.headers


async def test_two_credentials_never_share_data_or_cache_entries(
    production: Settings, sandbox: SandboxAdmin
) -> None:
    app = create_app(production)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            client = GatewayClient(http)
            demo = await client.query(PROMOTION)
            brand_b = await client.query(PROMOTION, authorization=BRAND_B_AUTHORIZATION)
            again = await client.query(PROMOTION)
        keys = [str(key) for key in app.state.upstream.caches.promotions._entries]
    assert demo == again
    assert brand_b["data"]["promotion"]["name"] == "[B] " + demo["data"]["promotion"]["name"]
    assert sandbox.stats()["callsByTenant"] == {"demo": 1, "brand-b": 1}
    assert len(keys) == 2
    for secret in (DEMO_AUTHORIZATION, BRAND_B_AUTHORIZATION):
        assert not any(secret in key or secret.split()[1] in key for key in keys)


async def test_credentials_never_reach_the_log(
    sandbox: SandboxAdmin, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.faults(promotion={"200002": {"status": 503}, "200003": {"body": "html"}})
    settings = settings_for(sandbox.url, upstream_retry_base_s=0.01, environment="production")
    with caplog.at_level(logging.DEBUG):
        async with gateway_for(settings) as gateway:
            await gateway.query(WALLET, {"mobile": BIG_CUSTOMER, "first": 4})
            await gateway.query(PROMOTION, authorization="Basic bm9ib2R5OndoYXRldmVy")
            await gateway.query("{ nope }")
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records  # something was logged
    for secret in (DEMO_AUTHORIZATION, "ZGVtbzpzYW5kYm94", "bm9ib2R5OndoYXRldmVy", "sandbox"):
        assert secret not in text
