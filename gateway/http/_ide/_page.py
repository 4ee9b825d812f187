"""The IDE's page: our own small HTML around GraphiQL, under a strict Content-Security-Policy.

It opens on the README's wallet query and its variables. Its configuration is a
JSON data block (`<script type="application/json">`, which browsers never run, so
the policy allows it); every script is a file of ours or a pinned one
(`_assets.py`), none inline. Credentials: the page carries none, except the
embedded sandbox's public demo credential when the gateway runs on that sandbox;
only then does GraphiQL keep the headers a user types (in localStorage).
"""

from __future__ import annotations

import html
import json
import secrets

from starlette.responses import HTMLResponse, Response

from gateway.http._ide._assets import SCRIPTS, STYLES, Assets

TITLE = "Promotions Gateway"

# The README's first query: tests/test_operations.py checks that they stay the same.
EXAMPLE_QUERY = """query Wallet($mobile: String!) {
  customer(identifierType: MOBILE, identifierValue: $mobile) {
    id
    promotions(status: AVAILABLE_TO_REDEEM, first: 20) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id name type usage { points times }
        restrictions { kind name limit used scope period { window unit } }
        timelines { enrolledAt expiresAt issuals { id issuedAt redeemedCount } }
        promotion {
          id status
          rulesets { id name rules { id name expression actions { id name properties } } }
        }
      }
    }
  }
}"""
EXAMPLE_VARIABLES = {"mobile": "919456430850"}


def content_security_policy(style_nonce: str) -> str:
    """Only the gateway's own files run. Styles: the gateway's files, plus the `<style>`
    element GraphiQL's dialogs add to lock scrolling (react-remove-scroll), which
    carries the page's per-response nonce (read from `window.__webpack_nonce__`);
    GraphiQL's own fonts and icons are data: URLs inside its stylesheet."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{style_nonce}'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


class IdePage:
    """The page and its files, for one gateway.

    `demo_authorization`: the sandbox's demo credential when the gateway's upstream is
    the embedded sandbox, else None (then no credential is in the page, and the
    headers a user types are not persisted). The explain panel is always there: the
    page is served only outside production, where explain mode is always honoured.
    """

    def __init__(self, *, demo_authorization: str | None, assets: Assets | None = None) -> None:
        self._assets = assets or Assets.load()
        self._config = {
            "endpoint": "/graphql",
            "title": TITLE,
            "query": EXAMPLE_QUERY,
            "variables": json.dumps(EXAMPLE_VARIABLES, indent=2),
            "headers": (
                json.dumps({"Authorization": demo_authorization}, indent=2)
                if demo_authorization
                else None
            ),
            "persistHeaders": demo_authorization is not None,
        }

    @property
    def assets(self) -> Assets:
        return self._assets

    def html(self, style_nonce: str) -> str:
        assets = self._assets
        config = {**self._config, "styleNonce": style_nonce}
        # Inside <script>, only "</" could end the block: JSON lets "<" be "\u003c".
        data = json.dumps(config).replace("<", "\\u003c")
        styles = "\n".join(
            f'    <link rel="stylesheet" href="{assets.url(name)}" '
            f'integrity="{assets.integrity(name)}">'
            for name in STYLES
        )
        scripts = "\n".join(
            f'    <script defer src="{assets.url(name)}" integrity="{assets.integrity(name)}">'
            "</script>"
            for name in SCRIPTS
        )
        return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <title>{html.escape(TITLE)}</title>
    <link rel="icon" href="data:,">
{styles}
    <script type="application/json" id="ide-config">{data}</script>
{scripts}
  </head>
  <body>
    <div id="ide"><p class="ide-loading">Loading {html.escape(TITLE)}&hellip;</p></div>
  </body>
</html>
"""

    def response(self) -> Response:
        nonce = secrets.token_urlsafe(18)
        return HTMLResponse(
            self.html(nonce),
            headers={
                "Content-Security-Policy": content_security_policy(nonce),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )
