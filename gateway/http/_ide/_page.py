"""GraphiQL in development: opens on the README's example query, with the sandbox
credential in the headers editor and explain mode on, so one click shows data and
what it cost upstream."""

from __future__ import annotations

import json

from strawberry.http.ides import get_graphql_ide_html

EXAMPLE_QUERY = """query Wallet($mobile: String!) {
  customer(identifierType: MOBILE, identifierValue: $mobile) {
    id
    promotions(status: AVAILABLE_TO_REDEEM, first: 20) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        name type usage { points times }
        restrictions { kind name limit used scope period { window unit } }
        timelines { enrolledAt expiresAt issuals { issuedAt redeemedCount } }
        promotion { status rulesets { name rules { name expression actions { name properties } } } }
      }
    }
  }
}"""
EXAMPLE_VARIABLES = {"mobile": "919456430850"}


def graphiql_page(authorization: str | None) -> str:
    """Strawberry's GraphiQL page, pre-filled; the stock page if its shape changed."""
    page = get_graphql_ide_html(graphql_ide="graphiql")
    headers = {"Authorization": authorization} if authorization else {}
    replacements = [
        (
            "parameters.q || EXAMPLE_QUERY,",
            f"parameters.q || {json.dumps(EXAMPLE_QUERY)},",
        ),
        (
            "React.useState(\n          parameters.variables,\n        );",
            "React.useState(\n          parameters.variables || "
            f"{json.dumps(json.dumps(EXAMPLE_VARIABLES, indent=2))},\n        );",
        ),
        (
            "React.useState(parameters.headers);",
            f"React.useState(parameters.headers || {json.dumps(json.dumps(headers, indent=2))});",
        ),
        # Sent with every request from the IDE: the response explains its upstream calls.
        ("const defaultHeaders = {};", 'const defaultHeaders = {"X-Gateway-Explain": "1"};'),
    ]
    filled = page
    for old, new in replacements:
        if old not in filled:
            return page
        filled = filled.replace(old, new, 1)
    return filled
