"""What operators and query authors see: metrics, explain mode, request ids, logs,
traces and the IDE, against the sandbox over real HTTP (readiness:
tests/gateway/http/test_health.py)."""

import asyncio
import gc
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.http._ide import EXAMPLE_QUERY, EXAMPLE_VARIABLES
from gateway.http._ide._vendor import STATIC as IDE_STATIC
from gateway.observability._logs import ACCESS, JsonFormatter
from gateway.observability._tracing import Tracing
from gateway.settings import Settings
from sandbox import BRAND_B_AUTHORIZATION, DEMO_AUTHORIZATION
from tests.conftest import GatewayClient, SandboxAdmin, gateway_for, settings_for
from tests.queries import BIG_CUSTOMER

pytestmark = pytest.mark.integration

PROMOTION = 'query P { promotion(programId: "973", id: "200001") { id } }'
MISSING = 'query Missing { promotion(programId: "973", id: "999999") { id } }'
SECRETS = (DEMO_AUTHORIZATION, DEMO_AUTHORIZATION.split()[1], BRAND_B_AUTHORIZATION.split()[1])


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(gateway: GatewayClient) -> tuple[str, dict[Any, float]]:
    response = await gateway.http.get("/metrics")
    assert response.status_code == 200
    return response.text, samples(response.text)


async def test_metrics_count_a_known_sequence(sandbox: SandboxAdmin) -> None:
    async with gateway_for(settings_for(sandbox.url, max_request_bytes=10_000)) as gateway:
        for _ in range(3):
            await gateway.query(PROMOTION)
        await gateway.query(PROMOTION, authorization=BRAND_B_AUTHORIZATION)
        await gateway.query(MISSING)
        await gateway.http.post("/graphql", json={"query": "{ __typename }", "pad": "x" * 20_000})
        text, found = await scrape(gateway)
    assert value(found, "graphql_operations_total", operation="P", outcome="ok") == 4
    assert value(found, "graphql_operations_total", operation="Missing", outcome="partial") == 0
    assert value(found, "graphql_operations_total", operation="Missing", outcome="error") == 1
    assert value(found, "graphql_errors_total", code="PROMOTION_NOT_FOUND") == 1
    assert value(found, "graphql_operation_duration_seconds_count", operation="P") == 4
    assert value(found, "http_responses_total", status="200") == 5
    assert value(found, "http_responses_total", status="413") == 1
    # Each tenant's first lookup calls; the other two demo lookups hit the cache.
    assert value(found, "upstream_calls_total", endpoint="promotion", status="200") == 2
    assert value(found, "upstream_calls_total", endpoint="promotion", status="404") == 1
    assert sandbox.calls("promotion") == 3
    assert value(found, "cache_events_total", cache="promotions", event="hit") == 2
    assert value(found, "cache_events_total", cache="promotions", event="miss") == 3
    assert value(found, "upstream_calls_in_flight") == 0
    assert value(found, "upstream_call_duration_seconds_count", endpoint="promotion") == 3
    for secret in (*SECRETS, BIG_CUSTOMER):
        assert secret not in text


async def test_breaker_state_and_rejections_are_metrics(sandbox: SandboxAdmin) -> None:
    sandbox.faults(endpoint={"promotion": {"status": 500}})
    settings = settings_for(sandbox.url, breaker_failure_threshold=1, client_rate_limit_per_min=30)
    async with gateway_for(settings) as gateway:
        await gateway.query(PROMOTION)
        await gateway.query(PROMOTION)  # refused at once: breaker open
        await gateway.post("{ __typename }")
        refused = await gateway.post("{ __typename }")  # a burst of 3: over the limit
        assert refused.status_code == 429
        _, found = await scrape(gateway)
    assert value(found, "upstream_breaker_state", endpoint="promotion") == 2
    assert value(found, "upstream_calls_total", endpoint="promotion", status="500") == 1
    assert value(found, "rate_limit_rejections_total", limit="client") == 1


async def test_operation_names_are_bounded(sandbox: SandboxAdmin) -> None:
    async with gateway_for(settings_for(sandbox.url)) as gateway:
        for i in range(105):
            await gateway.query(f"query N{i} {{ __typename }}")
        await gateway.query("{ __typename }")
        _, found = await scrape(gateway)
    names = {
        dict(labels)["operation"] for (name, labels) in found if name == "graphql_operations_total"
    }
    assert len(names) == 102  # 100 names, "other" and "anonymous"
    assert {"other", "anonymous"} <= names
    assert value(found, "graphql_operations_total", operation="other", outcome="ok") == 5


async def test_explain_lists_exactly_the_calls_the_sandbox_counted(
    sandbox: SandboxAdmin,
) -> None:
    async with gateway_for(settings_for(sandbox.url)) as gateway:
        await gateway.query(PROMOTION)  # one promotion already cached
        sandbox.reset()
        response = await gateway.http.post(
            "/graphql",
            json={"query": EXAMPLE_QUERY, "variables": EXAMPLE_VARIABLES},
            headers={"Authorization": DEMO_AUTHORIZATION, "X-Gateway-Explain": "1"},
        )
    explain = response.json()["extensions"]["explain"]
    stats = sandbox.stats()
    called = [c for c in explain["calls"] if c["cache"] in ("miss", "none")]
    assert len(called) == sum(stats["calls"].values())
    assert {c["params"]["promotionId"] for c in called if c["endpoint"] == "promotion"} == set(
        stats["callsByPromotion"]
    )
    (customer,) = [c for c in called if c["endpoint"] == "customer_promotions"]
    assert customer["params"]["identifierValue"] == BIG_CUSTOMER
    assert customer["status"] == 200
    assert customer["cache"] == "none"
    hits = [c for c in explain["calls"] if c["cache"] == "hit"]
    assert [h["params"]["promotionId"] for h in hits] == ["200001"]
    totals = explain["totals"]
    assert totals["upstreamCalls"] == sum(stats["calls"].values())
    assert totals["cache"]["hit"] == 1
    assert totals["wallMs"] >= max(c["durationMs"] for c in called)
    assert all(c["durationMs"] >= 0 and c["retries"] == 0 for c in called)
    assert "Authorization" not in json.dumps(explain)
    assert DEMO_AUTHORIZATION not in json.dumps(explain)
    # The waterfall's axis: each call from its start to its end within the request,
    # the by-id calls in flight together (one round trip, not a staircase).
    for call in called:
        assert 0 <= call["startMs"] < call["endMs"] <= totals["wallMs"]
        assert call["endMs"] == pytest.approx(call["startMs"] + call["durationMs"], abs=0.02)
    by_id = [c for c in called if c["endpoint"] == "promotion"]
    assert max(c["startMs"] for c in by_id) < min(c["endMs"] for c in by_id)
    assert customer["endMs"] <= min(c["startMs"] for c in by_id)
    assert (totals["estimatedUpstreamCalls"], totals["maxUpstreamCalls"]) == (21, 120)
    assert totals["upstreamMs"] == pytest.approx(sum(c["durationMs"] for c in called), abs=0.1)


async def test_explain_is_refused_in_production_unless_allowed(sandbox: SandboxAdmin) -> None:
    headers = {"Authorization": DEMO_AUTHORIZATION, "X-Gateway-Explain": "1"}
    production = settings_for(sandbox.url, environment="production")
    for settings, shown in ((production, False), (production.replace(allow_explain=True), True)):
        async with gateway_for(settings) as gateway:
            response = await gateway.http.post(
                "/graphql", json={"query": PROMOTION}, headers=headers
            )
        assert ("explain" in response.json().get("extensions", {})) is shown


async def test_request_ids_round_trip_and_reach_the_upstream(sandbox: SandboxAdmin) -> None:
    async with gateway_for(settings_for(sandbox.url)) as gateway:
        given = await gateway.http.post(
            "/graphql",
            json={"query": PROMOTION},
            headers={"Authorization": DEMO_AUTHORIZATION, "X-Request-ID": "abc-123"},
        )
        made = await gateway.post(MISSING)
        hostile = await gateway.http.post(
            "/graphql",
            json={"query": PROMOTION},
            headers={"Authorization": DEMO_AUTHORIZATION, "X-Request-ID": "x <script>"},
        )
    assert given.headers["X-Request-ID"] == "abc-123"
    assert len(made.headers["X-Request-ID"]) == 32
    assert hostile.headers["X-Request-ID"] != "x <script>"
    upstream_ids = [r["requestId"] for r in sandbox.stats()["requests"]]
    assert upstream_ids == ["abc-123", made.headers["X-Request-ID"]]


async def test_each_request_logs_one_json_line_without_credentials(
    sandbox: SandboxAdmin, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(sandbox.url, environment="production")
    with caplog.at_level(logging.INFO, logger=ACCESS):
        async with gateway_for(settings) as gateway:
            await gateway.query(PROMOTION)
            await gateway.query(MISSING)
            await gateway.http.get("/healthz")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS]
    assert len(lines) == 2  # health checks are not logged
    first, second = lines
    assert set(first) >= {
        "ts",
        "level",
        "requestId",
        "method",
        "path",
        "status",
        "operation",
        "durationMs",
        "upstreamCalls",
        "cache",
        "errorCodes",
    }
    assert (first["operation"], first["upstreamCalls"], first["errorCodes"]) == ("P", 1, [])
    assert first["cache"] == {"miss": 1}
    assert second["errorCodes"] == ["PROMOTION_NOT_FOUND"]
    text = caplog.text + json.dumps(lines)
    for secret in SECRETS:
        assert secret not in text


async def test_a_span_per_operation_and_per_upstream_call(sandbox: SandboxAdmin) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    app = create_app(settings_for(sandbox.url), tracing=Tracing(provider))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            await http.post(
                "/graphql",
                json={"query": EXAMPLE_QUERY, "variables": {"mobile": BIG_CUSTOMER}},
                headers={"Authorization": DEMO_AUTHORIZATION, "traceparent": parent},
            )
    spans = exporter.get_finished_spans()
    (operation,) = [s for s in spans if s.name == "graphql Wallet"]
    upstream = [s for s in spans if s.name.startswith("upstream ")]
    calls = sandbox.stats()["requests"]
    assert len(spans) == 1 + len(upstream)  # nothing per field
    assert len(upstream) == len(calls) > 1
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    assert f"{operation.context.trace_id:032x}" == trace_id
    assert operation.parent is not None
    assert f"{operation.parent.span_id:016x}" == "b7ad6b7169203331"
    assert all(
        s.parent is not None and s.parent.span_id == operation.context.span_id for s in upstream
    )
    # Each upstream request carried its own span as parent.
    sent = {r["traceparent"].split("-")[2] for r in calls}
    assert sent == {f"{s.context.span_id:016x}" for s in upstream}
    assert all(r["traceparent"].split("-")[1] == trace_id for r in calls)


async def test_without_tracing_a_traceparent_is_passed_on(sandbox: SandboxAdmin) -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with gateway_for(settings_for(sandbox.url)) as gateway:
        await gateway.http.post(
            "/graphql",
            json={"query": PROMOTION},
            headers={"Authorization": DEMO_AUTHORIZATION, "traceparent": parent},
        )
    assert [r["traceparent"] for r in sandbox.stats()["requests"]] == [parent]


async def test_the_ide_holds_no_configured_credential(sandbox: SandboxAdmin) -> None:
    configured = "Bearer configured-upstream-key-0123456789"
    settings = settings_for(sandbox.url, upstream_authorization=configured)
    for sandbox_authorization in (None, DEMO_AUTHORIZATION):
        async with gateway_for(settings, sandbox_authorization=sandbox_authorization) as gateway:
            page = await gateway.http.get("/graphql", headers={"Accept": "text/html"})
            files = [
                await gateway.http.get(url)
                for url in re.findall(r'(?:src|href)="(/graphql/ide/[^"]+)"', page.text)
            ]
        assert page.status_code == 200
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert json.dumps(EXAMPLE_QUERY) in page.text
        assert BIG_CUSTOMER in page.text
        assert len(files) == 9
        for response in [page, *files]:
            assert response.status_code == 200
            for secret in (configured, configured.split()[1], "configured-upstream-key"):
                assert secret not in response.text
        # Only on the sandbox: its own public demo credential, and headers kept.
        assert (DEMO_AUTHORIZATION in page.text) is (sandbox_authorization is not None)
        persisted = '"persistHeaders": true' in page.text
        assert persisted is (sandbox_authorization is not None)


async def test_the_ide_s_files_are_cached_for_a_year_and_nothing_else_is_served(
    gateway_settings: Settings,
) -> None:
    async with gateway_for(gateway_settings) as gateway:
        page = await gateway.http.get("/graphql", headers={"Accept": "text/html"})
        (url,) = re.findall(r'src="(/graphql/ide/vendor/graphiql[^"]+)"', page.text)
        served = await gateway.http.get(url)
        missing = [
            await gateway.http.get(f"/graphql/ide/{name}")
            for name in (
                "vendor/manifest.json",
                "licences/react.LICENSE.txt",
                "../_page.py",
                "x.js",
            )
        ]
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["content-type"] == "text/javascript; charset=utf-8"
    assert served.content == (IDE_STATIC / "vendor" / "graphiql.min.js").read_bytes()
    assert [r.status_code for r in missing] == [404] * 4


def test_the_ide_example_is_the_readmes() -> None:
    from tests.test_docs import README, example_variables, named_example

    readme = README.read_text()
    assert named_example(readme, "Wallet") == EXAMPLE_QUERY
    assert example_variables(readme) == EXAMPLE_VARIABLES


@asynccontextmanager
async def two_workers(sandbox: SandboxAdmin, directory: Path) -> AsyncIterator[str]:
    from tests.gateway.runtime.test_server import gateway_on

    with gateway_on(sandbox.url, WEB_CONCURRENCY="2", PROMETHEUS_MULTIPROC_DIR=str(directory)) as (
        _process,
        url,
    ):
        yield url


async def test_metrics_add_up_across_two_workers(sandbox: SandboxAdmin, tmp_path: Path) -> None:
    async with two_workers(sandbox, tmp_path) as url:
        for _ in range(20):
            # A new connection each time, so both workers take requests.
            async with httpx.AsyncClient(base_url=url) as http:
                response = await http.post(
                    "/graphql",
                    json={"query": PROMOTION},
                    headers={"Authorization": DEMO_AUTHORIZATION},
                )
                assert response.status_code == 200
        async with httpx.AsyncClient(base_url=url) as http:
            found = samples((await http.get("/metrics")).text)
        files = await asyncio.to_thread(lambda: list(tmp_path.glob("counter_*.db")))
        workers = {p.stem.rsplit("_", 1)[1] for p in files}
    assert len(workers) == 2
    assert value(found, "graphql_operations_total", operation="P", outcome="ok") == 20
    assert value(found, "http_responses_total", status="200") == 20
    # Each worker has its own cache: one miss each, the rest hits.
    misses = value(found, "cache_events_total", cache="promotions", event="miss")
    hits = value(found, "cache_events_total", cache="promotions", event="hit")
    assert (misses, hits) == (sandbox.calls("promotion"), 20 - sandbox.calls("promotion"))
    assert misses == 2


async def test_kept_promotion_answers_are_counted_and_explained_once_each(
    sandbox: SandboxAdmin, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"query": EXAMPLE_QUERY, "variables": EXAMPLE_VARIABLES}
    headers = {"Authorization": DEMO_AUTHORIZATION}
    with caplog.at_level(logging.INFO, logger=ACCESS):
        async with gateway_for(settings_for(sandbox.url)) as gateway:
            # The first lookup loads the promotions, and their answers are kept; the
            # later ones find them fresh and serve the kept answers (compiled code).
            answers = [
                (await gateway.http.post("/graphql", json=body, headers=headers)).json()
                for _ in range(3)
            ]
            _, before = await scrape(gateway)
            explained = await gateway.http.post(
                "/graphql", json=body, headers={**headers, "X-Gateway-Explain": "1"}
            )
            _, after = await scrape(gateway)
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS]
    answer = explained.json()
    nodes = answer["data"]["customer"]["promotions"]["nodes"]
    assert len(nodes) > 1
    assert all(a["data"] == answer["data"] for a in answers)
    hits = [c for c in answer["extensions"]["explain"]["calls"] if c["cache"] == "hit"]
    assert len(hits) == len(nodes)  # one per promotion, none counted twice
    assert len({h["params"]["promotionId"] for h in hits}) == len(nodes)
    counted = value(after, "cache_events_total", cache="promotions", event="hit")
    assert counted - value(before, "cache_events_total", cache="promotions", event="hit") == len(
        nodes
    )
    # Each request's log line counts its hits, explained or not.
    assert [line["cache"].get("hit", 0) for line in lines[1:]] == [len(nodes)] * 3


async def test_a_nested_query_leaves_nothing_of_its_own_to_the_garbage_collector(
    sandbox: SandboxAdmin,
) -> None:
    """Reference cycles would keep each request's records alive until a collection
    (graphql-core's executor held itself, and so the context, the loaders and the
    customer's page): the collector's time grows with the load. The fast executor
    breaks that cycle (its helpers hold the executor weakly); with FAST_EXECUTION=false
    graphql-core's own executor still leaves it, so this holds with the engine on."""
    body = {"query": EXAMPLE_QUERY, "variables": EXAMPLE_VARIABLES}
    headers = {"Authorization": DEMO_AUTHORIZATION}
    ours = ("gateway.", "schema.", "resolvers.")
    async with gateway_for(settings_for(sandbox.url, fast_execution=True)) as gateway:
        await gateway.http.post("/graphql", json=body, headers=headers)  # warm
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(3):
                answer = await gateway.http.post("/graphql", json=body, headers=headers)
                assert answer.json()["data"]["customer"]["promotions"]["nodes"]
            gc.collect()
            left = {
                f"{type(o).__module__}.{type(o).__qualname__}"
                for o in gc.garbage
                if type(o).__module__.startswith(ours)
            }
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert left == set()
