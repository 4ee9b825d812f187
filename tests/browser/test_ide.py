"""The IDE in a real browser: Debian's chromium, headless, driven by Playwright
(`make test-browser`; never a browser download).

Against a gateway started as a person starts it (`python -m gateway`, which embeds
the sandbox) with a fake UPSTREAM_AUTHORIZATION configured, and against one whose
upstream is not the embedded sandbox: the page loads with every request kept on
127.0.0.1, under the strict Content-Security-Policy it sends (nothing 'unsafe-'), no
console error and no CSP violation; the wallet query shows the customer's data; the
explain panel draws one bar per upstream call, the by-id calls overlapping in time,
its totals exact; run again warm, the by-id calls are hit bars in the hit colour; no
configured credential is anywhere in the page or its storage.
With IDE_SCREENSHOTS=docs (`make screenshots`) it saves docs/ide.png and
docs/explain-panel.png.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from bench.processes import free_port
from gateway.http._ide import EXAMPLE_QUERY, EXAMPLE_VARIABLES
from sandbox import DEMO_AUTHORIZATION
from tests.conftest import SandboxAdmin, gateway_process

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",  # as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONFIGURED = "Bearer configured-upstream-key-7f3a9c"
TIMEOUT_MS = 30_000


@dataclass
class Watched:
    """What the page did: requests refused for leaving loopback, console errors, CSP
    violations, and every response body the browser received."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    explained: list[dict[str, Any]] = field(default_factory=list)
    policy: str | None = None  # the page response's Content-Security-Policy


# Before any of the page's scripts: CSP violations are recorded where the test reads them.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless (Playwright's default) with a fresh profile (Playwright makes a new
    temporary --user-data-dir for every launch and removes it on close)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def embedded() -> Iterator[tuple[str, str]]:
    """`python -m gateway` on the embedded sandbox, a fake credential configured."""
    sandbox_port = free_port()
    with gateway_process(SANDBOX_PORT=str(sandbox_port), UPSTREAM_AUTHORIZATION=CONFIGURED) as (
        _process,
        url,
    ):
        yield url, f"http://127.0.0.1:{sandbox_port}"


def opened(browser: Any, url: str) -> tuple[Any, Any, Watched]:
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    watched = Watched()

    def route(request_route: Any) -> None:
        host = urlsplit(request_route.request.url).hostname
        if host == "127.0.0.1":
            request_route.continue_()
        else:
            watched.outside.append(request_route.request.url)
            request_route.abort()

    def responded(response: Any) -> None:
        try:
            body = response.text()
        except Exception:  # a redirect or an aborted request has no body
            return
        watched.bodies.append(body)
        if response.request.method == "POST" and response.request.headers.get("x-gateway-explain"):
            watched.explained.append(json.loads(body))

    context.route("**/*", route)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda m: watched.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watched.errors.append(str(e)))
    page.on("response", responded)
    response = page.goto(f"{url}/graphql")
    assert response is not None
    assert response.status == 200
    watched.policy = response.headers.get("content-security-policy")
    page.wait_for_selector(".graphiql-container")
    page.wait_for_selector(".graphiql-query-editor .CodeMirror")
    return context, page, watched


def editors(page: Any) -> dict[str, str]:
    """The query, variables and headers editors' contents."""
    values: dict[str, str] = page.evaluate(
        """() => {
            const value = (e) => e.CodeMirror.getValue();
            const [variables, headers] = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')];
            return {query: value(document.querySelector('.graphiql-query-editor .CodeMirror')),
                    variables: value(variables), headers: value(headers)};
        }"""
    )
    return values


def run(page: Any) -> None:
    page.click(".graphiql-execute-button")
    page.wait_for_function(
        "() => document.querySelector('.result-window .CodeMirror')"
        " && document.querySelector('.result-window .CodeMirror').CodeMirror.getValue().includes('\"data\"')"
    )


def result(page: Any) -> dict[str, Any]:
    text = page.evaluate(
        "() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
    )
    shown: dict[str, Any] = json.loads(text)
    return shown


def bars(page: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(
        """() => [...document.querySelectorAll('.gx-bar')].map(bar => {
            const box = bar.getBoundingClientRect();
            return {endpoint: bar.dataset.endpoint, cache: bar.dataset.cache,
                    start: Number(bar.dataset.startMs), end: Number(bar.dataset.endMs),
                    left: box.left, right: box.right};
        })"""
    )
    return found


def totals(page: Any) -> dict[str, str]:
    """The panel's totals, term by term (its <dt>/<dd> pairs)."""
    shown: dict[str, str] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.gx-totals dt')]
            .map(dt => [dt.textContent, dt.nextElementSibling.textContent]))"""
    )
    return shown


def colour(page: Any, selector: str) -> str:
    found: str = page.evaluate(
        "(s) => getComputedStyle(document.querySelector(s)).backgroundColor", selector
    )
    return found


def explained_runs(page: Any, watched: Watched, count: int) -> list[dict[str, Any]]:
    """The explained answers, once `count` of them have arrived (bounded wait)."""
    for _ in range(200):
        if len(watched.explained) >= count:
            break
        page.wait_for_timeout(50)
    assert len(watched.explained) == count
    return watched.explained


def storage(page: Any) -> str:
    stored: str = page.evaluate("() => JSON.stringify(Object.assign({}, localStorage))")
    return stored


def no_trouble(page: Any, watched: Watched) -> None:
    # The page itself sends a strict policy: only the gateway's files, nothing unsafe.
    assert watched.policy is not None
    assert "script-src 'self';" in watched.policy
    assert "default-src 'self';" in watched.policy
    assert "'unsafe-" not in watched.policy
    assert watched.outside == []
    assert watched.errors == []
    assert page.evaluate("() => window.__violations") == []


def screenshots() -> Path | None:
    folder = os.environ.get("IDE_SCREENSHOTS")
    return Path(folder) if folder else None


def test_the_ide_on_the_embedded_sandbox(browser: Any, embedded: tuple[str, str]) -> None:
    url, sandbox_url = embedded
    context, page, watched = opened(browser, url)
    try:
        assert page.title() == "Promotions Gateway"
        shown = editors(page)
        assert shown["query"] == EXAMPLE_QUERY
        assert json.loads(shown["variables"]) == EXAMPLE_VARIABLES
        # On the sandbox: its own demo credential, never the configured one.
        assert json.loads(shown["headers"]) == {"Authorization": DEMO_AUTHORIZATION}

        run(page)  # cold: the gateway has just started
        stats = httpx.get(f"{sandbox_url}/__sandbox/stats").json()
        customer = result(page)["data"]["customer"]
        expected = httpx.post(
            f"{url}/graphql",
            json={"query": EXAMPLE_QUERY, "variables": EXAMPLE_VARIABLES},
            headers={"Authorization": DEMO_AUTHORIZATION},
            timeout=30,
        ).json()["data"]["customer"]
        assert customer["id"] == expected["id"]
        assert customer["promotions"]["totalCount"] == expected["promotions"]["totalCount"]
        assert [n["name"] for n in customer["promotions"]["nodes"]] == [
            n["name"] for n in expected["promotions"]["nodes"]
        ]
        assert page.locator(".result-window").inner_text().count(expected["id"]) >= 1

        # The explain panel (open by default) draws the run just made.
        page.wait_for_selector(".gx-bar")
        (explained,) = explained_runs(page, watched, 1)
        calls = explained["extensions"]["explain"]["calls"]
        drawn = bars(page)
        assert len(drawn) == len(calls)
        assert sorted((b["endpoint"], b["cache"]) for b in drawn) == sorted(
            (c["endpoint"], c["cache"]) for c in calls
        )
        made = [b for b in drawn if b["cache"] in ("miss", "none")]
        assert len(made) == sum(stats["calls"].values())
        by_id = [b for b in drawn if b["endpoint"] == "promotion" and b["cache"] == "miss"]
        assert len(by_id) == stats["calls"]["promotion"] > 1
        # Batching: all by-id calls in flight at once, in the data and on screen.
        assert max(b["start"] for b in by_id) < min(b["end"] for b in by_id)
        assert max(b["left"] for b in by_id) < min(b["right"] for b in by_id)
        shown = totals(page)
        estimated = explained["extensions"]["explain"]["totals"]["estimatedUpstreamCalls"]
        assert shown["Upstream calls"] == str(len(made))  # no retries: the count alone
        assert shown["Cache hits"] == "0"  # the gateway has just started
        assert shown["Estimated cost"] == f"{estimated} of 120 calls allowed"

        # A dialog adds a <style> (scroll lock): allowed by the page's nonce.
        styles = "() => document.querySelectorAll('style').length"
        before = page.evaluate(styles)
        page.click("button[aria-label='Open settings dialog']")
        page.wait_for_selector(".graphiql-dialog")
        assert page.evaluate(styles) > before
        page.keyboard.press("Escape")

        no_trouble(page, watched)
        everything = "\n".join([page.content(), storage(page), *watched.bodies])
        for secret in (CONFIGURED, CONFIGURED.split()[1]):
            assert secret not in everything
        folder = screenshots()
        if folder is not None:
            page.evaluate("() => document.activeElement && document.activeElement.blur()")
            page.mouse.move(700, 450)
            page.screenshot(path=str(folder / "ide.png"))
            # The panel widened by its drag bar, as a person would to read the labels.
            handle = page.locator(".graphiql-horizontal-drag-bar").first.bounding_box()
            page.mouse.move(handle["x"] + 2, handle["y"] + handle["height"] / 2)
            page.mouse.down()
            page.mouse.move(handle["x"] + 260, handle["y"] + handle["height"] / 2, steps=8)
            page.mouse.up()
            pane = page.locator(".graphiql-plugin").bounding_box()
            panel = page.locator(".gx-panel").bounding_box()
            bottom = panel["y"] + panel["height"] + 16
            clip = {**pane, "height": min(pane["height"], bottom - pane["y"])}
            page.screenshot(path=str(folder / "explain-panel.png"), clip=clip)

        # Warm: the same query again; the by-id promotions come from the cache.
        before = httpx.get(f"{sandbox_url}/__sandbox/stats").json()
        page.click(".graphiql-execute-button")
        page.wait_for_selector(".gx-bar.gx-hit")
        _cold, warm = explained_runs(page, watched, 2)
        warm_stats = httpx.get(f"{sandbox_url}/__sandbox/stats").json()
        called = sum(warm_stats["calls"].values()) - sum(before["calls"].values())
        drawn = bars(page)
        assert len(drawn) == len(warm["extensions"]["explain"]["calls"])
        hits = [b for b in drawn if b["endpoint"] == "promotion" and b["cache"] == "hit"]
        assert len(hits) == len(by_id)
        assert not [b for b in drawn if b["cache"] == "miss"]
        # Each hit drawn, in the hit colour (the legend's), not the miss colour.
        assert all(b["right"] > b["left"] for b in hits)
        assert all(b["end"] >= b["start"] for b in hits)
        green = colour(page, ".gx-legend .gx-swatch.gx-hit")
        assert colour(page, ".gx-bar.gx-hit") == green
        assert green != colour(page, ".gx-legend .gx-swatch.gx-miss")
        assert page.locator(".gx-bar.gx-hit").count() == len(hits)
        shown = totals(page)
        assert shown["Upstream calls"] == str(called) == "1"  # the customer lookup only
        assert shown["Cache hits"] == str(len(hits))
        no_trouble(page, watched)
    finally:
        context.close()


def test_off_the_sandbox_the_page_holds_no_credential_and_keeps_no_header(
    browser: Any, sandbox: SandboxAdmin
) -> None:
    # The upstream is a sandbox the gateway did not start: to the IDE, a real API.
    with gateway_process(
        UPSTREAM_URL=sandbox.url,
        UPSTREAM_AUTHORIZATION=DEMO_AUTHORIZATION,
        SANDBOX_PORT=str(free_port()),
    ) as (_process, url):
        context, page, watched = opened(browser, url)
        try:
            assert editors(page)["headers"].strip() in ("", "{}")
            typed = "Bearer typed-by-a-user-51d2"
            page.click(".graphiql-editor-tools button:has-text('Headers')")
            page.locator(".graphiql-editor-tool .CodeMirror").nth(1).click()
            page.keyboard.type(json.dumps({"X-Note": typed}))
            assert json.loads(editors(page)["headers"]) == {"X-Note": typed}
            run(page)
            assert result(page)["data"]["customer"]["id"]
            no_trouble(page, watched)
            everything = "\n".join([page.content(), *watched.bodies])
            for secret in (DEMO_AUTHORIZATION, DEMO_AUTHORIZATION.split()[1]):
                assert secret not in everything
            assert typed not in storage(page)
        finally:
            context.close()
