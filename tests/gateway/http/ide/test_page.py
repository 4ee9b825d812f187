"""The IDE page: its policy, its configuration block, its files' integrity."""

import json
import re
from html.parser import HTMLParser
from typing import Any

from gateway.http import IdePage
from gateway.http._ide import EXAMPLE_QUERY, EXAMPLE_VARIABLES, TITLE
from gateway.http._ide._page import content_security_policy
from gateway.http._ide._vendor import read_manifest

DEMO = "Basic ZGVtbzpzYW5kYm94"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = dict(attrs).get("id")

    def handle_data(self, data: str) -> None:
        if self._in:
            self.data[self._in] = self.data.get(self._in, "") + data


def parsed(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def config_of(page: str) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(parsed(page).data["ide-config"])
    return config


def policy(header: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


def test_the_page_opens_on_the_readme_s_wallet_query() -> None:
    config = config_of(IdePage(demo_authorization=None).html("n"))
    assert config["query"] == EXAMPLE_QUERY
    assert json.loads(config["variables"]) == EXAMPLE_VARIABLES
    assert config["endpoint"] == "/graphql"
    assert config["title"] == TITLE == "Promotions Gateway"
    assert f"<title>{TITLE}</title>" in IdePage(demo_authorization=None).html("n")


def test_no_credential_and_no_header_persistence_off_the_sandbox() -> None:
    page = IdePage(demo_authorization=None).html("n")
    config = config_of(page)
    assert config["headers"] is None
    assert config["persistHeaders"] is False
    assert "Authorization" not in page


def test_on_the_sandbox_its_demo_credential_is_preset_and_headers_kept() -> None:
    config = config_of(IdePage(demo_authorization=DEMO).html("n"))
    assert json.loads(config["headers"]) == {"Authorization": DEMO}
    assert config["persistHeaders"] is True


def test_the_configuration_says_only_what_the_page_uses() -> None:
    # No explain switch: the page exists only outside production, where explain is honoured.
    assert set(config_of(IdePage(demo_authorization=None).html("n"))) == {
        "endpoint",
        "title",
        "query",
        "variables",
        "headers",
        "persistHeaders",
        "styleNonce",
    }


def test_no_inline_script_and_every_file_is_the_gateway_s_with_its_integrity() -> None:
    page = IdePage(demo_authorization=None).html("n")
    tags = parsed(page).tags
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    executed = [s for s in scripts if s.get("type") != "application/json"]
    assert len(executed) == 6
    assert all(s["src"] and s["src"].startswith("/graphql/ide/") for s in executed)
    # The only inline block is data: browsers do not run application/json.
    assert [s for s in scripts if not s.get("src")] == [
        {"type": "application/json", "id": "ide-config"}
    ]
    links = [attrs for tag, attrs in tags if tag == "link" and attrs.get("rel") == "stylesheet"]
    files = read_manifest()["files"]
    loaded = {(a.get("src") or a["href"] or "").split("?")[0] for a in executed + links}
    pinned = {f"/graphql/ide/{name}" for name, e in files.items() if e["kind"] == "asset"}
    assert pinned < loaded  # every pinned file, and our own (ide.js, explain.js, ide.css)
    assert len(loaded - pinned) == 3
    for attrs in executed + links:
        url = attrs.get("src") or attrs["href"]
        assert url is not None
        name = url.removeprefix("/graphql/ide/").split("?")[0]
        if name.startswith("vendor/"):
            assert attrs["integrity"] == files[name]["integrity"]
            assert url.endswith("?v=" + files[name]["sha256"][:12])
        else:
            assert (attrs["integrity"] or "").startswith("sha384-")
    assert not re.search(r"\son\w+=", page)  # no inline event handlers
    assert "style=" not in page


def test_the_configuration_cannot_close_its_block() -> None:
    page = IdePage(demo_authorization="Basic </script><script>x()").html("n")
    assert page.count("</script>") == 7  # the data block's and the six files'
    assert json.loads(config_of(page)["headers"])["Authorization"].startswith("Basic </script>")


async def test_each_response_has_a_fresh_nonce_in_its_policy_and_page() -> None:
    ide = IdePage(demo_authorization=None)
    first, second = ide.response(), ide.response()
    nonces = []
    for response in (first, second):
        csp = policy(response.headers["content-security-policy"])
        (nonce,) = [s[len("'nonce-") : -1] for s in csp["style-src"] if s.startswith("'nonce-")]
        assert config_of(bytes(response.body).decode())["styleNonce"] == nonce
        assert response.headers["cache-control"] == "no-store"
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_the_policy_allows_only_the_gateway() -> None:
    csp = policy(content_security_policy("abc"))
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'", "'nonce-abc'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["font-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
