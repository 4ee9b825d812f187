"""Accept negotiation (gateway/http/_media.py), as GraphQL over HTTP asks it."""

import pytest

from gateway.http._media import GRAPHQL_RESPONSE_JSON, JSON, negotiate


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),  # the spec's legacy rule: no Accept is application/json
        ("", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        # Apollo Client's and urql's: the spec's type first.
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json,application/json", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", JSON),  # first listed
        ("application/json;q=1, application/graphql-response+json;q=0.5", JSON),
        ("application/graphql-response+json;q=0.5, application/json;q=0.8", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("text/html,application/xhtml+xml,*/*;q=0.8", JSON),  # a browser
        ("application/graphql-response+json;q=0.5, */*", JSON),  # */* at 1 beats 0.5
        ("application/graphql-response+json; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json; charset=latin1, application/json", JSON),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0, */*", JSON),
        ("text/html", None),
        ("application/xml", None),
        ("application/json;q=0", None),
        ("application/json;q=0, application/graphql-response+json;q=0", None),
        ("application/json;q=bogus", None),
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected
