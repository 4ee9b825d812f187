"""GraphQL over HTTP (gateway/http/_view.py): the graphql-http server audit's cases as our
own tests, against a development gateway on the sandbox, in both media types, over GET and
POST. Each case names the audit's id (graphql-http `audits/server`)."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox import DEMO_AUTHORIZATION
from tests.conftest import GatewayClient, SandboxAdmin, gateway_for, settings_for

pytestmark = pytest.mark.integration

GQL = "application/graphql-response+json"
JSON = "application/json"
TYPENAME = {"query": "{ __typename }"}
TYPE_QUERY = "query Type($name: String!) { __type(name: $name) { name } }"
NOT_A_FIELD = "{ notAFieldOfQuery }"
TWO_OPERATIONS = "query A { __typename } query B { __typename }"
# The audit's own (its unused variable is a validation failure first, in graphql-js too).
AUDIT_COERCE_FAILURE = {
    "query": "query CoerceFailure($id: ID!){ __typename }",
    "variables": {"id": None},
}
COERCE_FAILURE = {
    "query": 'query C($id: ID!) { promotion(programId: "973", id: $id) { id } }',
    "variables": {"id": None},
}


@pytest.fixture
async def http(sandbox: SandboxAdmin) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_for(settings_for(sandbox.url)) as gateway:
        yield gateway.http


async def post(
    http: httpx.AsyncClient,
    payload: object = None,
    *,
    accept: str | None = None,
    content_type: str | None = JSON,
    body: bytes | None = None,
) -> httpx.Response:
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if content_type is not None:
        headers["Content-Type"] = content_type
    content = body if body is not None else json.dumps(payload).encode()
    return await http.post("/graphql", content=content, headers=headers)


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


def code(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    return str(body["errors"][0]["extensions"]["code"])


# -- Media types


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param(GQL, GQL, id="22EB"),
        pytest.param(JSON, JSON, id="4655"),
        pytest.param("*/*", JSON, id="47DE"),
        pytest.param(None, JSON, id="80D8"),
        pytest.param(f"{GQL}, {JSON};q=0.9", GQL, id="apollo-client"),
    ],
)
async def test_the_response_is_in_the_media_type_accepted(
    http: httpx.AsyncClient, accept: str | None, expected: str
) -> None:
    response = await post(http, TYPENAME, accept=accept)
    assert response.status_code == 200
    assert media_type(response) == expected
    assert response.headers["content-type"].endswith("charset=utf-8")  # 82A3
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_utf_8_requests_are_read_with_or_without_a_charset(http: httpx.AsyncClient) -> None:
    # BF61, 78D5
    emoji = await post(
        http,
        {"query": '{ __type(name: "Run🏃Swim🏊") { name } }'},
        content_type="application/json; charset=utf-8",
    )
    assert emoji.status_code == 200
    assert emoji.json() == {"data": {"__type": None}}
    plain = await post(http, TYPENAME, content_type="application/json")
    assert plain.status_code == 200


async def test_an_accept_taking_no_json_is_406(http: httpx.AsyncClient) -> None:
    response = await post(http, TYPENAME, accept="application/xml")
    assert response.status_code == 406
    assert code(response) == "NOT_ACCEPTABLE"
    assert GQL in response.headers["accept"]
    assert "data" not in response.json()


# -- Methods and request bodies


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "HEAD"])
async def test_other_methods_are_405_with_allow(http: httpx.AsyncClient, method: str) -> None:
    response = await http.request(method, "/graphql", json=TYPENAME)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    if method != "HEAD":
        assert code(response) == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param(None, id="9ABE"),
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/json; charset=latin1",
    ],
)
async def test_a_post_that_is_not_json_is_415(
    http: httpx.AsyncClient, content_type: str | None
) -> None:
    response = await post(http, TYPENAME, content_type=content_type)
    assert response.status_code == 415
    assert code(response) == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize("accept", [GQL, JSON])
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(b"", "empty", id="A5BF"),
        pytest.param(b'{ "not a JSON', "not valid JSON", id="BCF8-B7N8-B6DC"),
        pytest.param(b'{"qeury": "{ __typename }"}', "no `query`", id="8764-3E3A"),
        pytest.param(b'{"notquery": "{ __typename }"}', "no `query`", id="423L"),
        pytest.param(b'{"query": ""}', "no `query`", id="blank-query"),
        pytest.param(b'{"query": " \\n"}', "no `query`", id="whitespace-query"),
        pytest.param(b'{"query": {"obj": "ect"}}', "`query` must be a string", id="LKJ0"),
        pytest.param(b'{"query": 0}', "`query` must be a string", id="LKJ1"),
        pytest.param(b'{"query": false}', "`query` must be a string", id="LKJ2"),
        pytest.param(b'{"query": ["array"]}', "`query` must be a string", id="LKJ3"),
        pytest.param(
            b'{"query": "{ __typename }", "operationName": {"obj": "ect"}}',
            "`operationName` must be a string",
            id="6C00",
        ),
        pytest.param(b'{"query": "{ __typename }", "operationName": 0}', "string", id="6C01"),
        pytest.param(b'{"query": "{ __typename }", "operationName": false}', "string", id="6C02"),
        pytest.param(b'{"query": "{ __typename }", "operationName": ["a"]}', "string", id="6C03"),
        pytest.param(
            b'{"query": "{ __typename }", "variables": "string"}',
            "`variables` must be an object",
            id="4760",
        ),
        pytest.param(b'{"query": "{ __typename }", "variables": 0}', "object", id="4761"),
        pytest.param(b'{"query": "{ __typename }", "variables": false}', "object", id="4762"),
        pytest.param(b'{"query": "{ __typename }", "variables": ["a"]}', "object", id="4763"),
        pytest.param(
            b'{"query": "{ __typename }", "extensions": "string"}',
            "`extensions` must be an object",
            id="58B0",
        ),
        pytest.param(b'{"query": "{ __typename }", "extensions": 0}', "object", id="58B1"),
        pytest.param(b'{"query": "{ __typename }", "extensions": false}', "object", id="58B2"),
        pytest.param(b'{"query": "{ __typename }", "extensions": ["a"]}', "object", id="58B3"),
        pytest.param(b'"just a string"', "must be a JSON object", id="not-an-object"),
    ],
)
async def test_a_malformed_request_is_400_bad_request(
    http: httpx.AsyncClient, body: bytes, problem: str, accept: str
) -> None:
    response = await post(http, body=body, accept=accept)
    assert response.status_code == 400
    assert media_type(response) == accept
    assert code(response) == "BAD_REQUEST"
    assert problem in response.json()["errors"][0]["message"]
    assert "data" not in response.json()


@pytest.mark.parametrize("accept", [pytest.param(GQL, id="94B"), pytest.param(JSON, id="022")])
@pytest.mark.parametrize("parameter", ["variables", "operationName", "extensions"])
async def test_null_parameters_are_allowed(
    http: httpx.AsyncClient, accept: str, parameter: str
) -> None:
    response = await post(http, {**TYPENAME, parameter: None}, accept=accept)
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [GQL, JSON])
@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"operationName": "Query", "query": "query Query { __typename }"}, id="8161"),
        pytest.param({"query": TYPE_QUERY, "variables": {"name": "sometype"}}, id="2EA1-28B9"),
        pytest.param({**TYPENAME, "extensions": {"some": "value"}}, id="428F-1B7A"),
    ],
)
async def test_well_formed_parameters_are_allowed(
    http: httpx.AsyncClient, accept: str, payload: dict[str, Any]
) -> None:
    response = await post(http, payload, accept=accept)
    assert response.status_code == 200
    assert media_type(response) == accept
    assert "errors" not in response.json()


# -- GET


@pytest.mark.parametrize("accept", [None, GQL, JSON])
async def test_get_queries_work_with_no_extra_header_in_development(
    http: httpx.AsyncClient, accept: str | None
) -> None:
    # 5A70, D6D5, 6A70: what urql and graphql-request send by default.
    headers = {"Accept": accept} if accept else {}
    response = await http.get(
        "/graphql",
        params={"query": TYPE_QUERY, "variables": json.dumps({"name": "sometype"})},
        headers=headers,
    )
    assert response.status_code == 200
    assert media_type(response) == (accept or JSON)
    assert response.json() == {"data": {"__type": None}}


async def test_a_mutation_over_get_is_4xx(http: httpx.AsyncClient) -> None:
    # 9C48 (the schema has no mutations at all)
    response = await http.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers={"Accept": GQL}
    )
    assert 400 <= response.status_code < 500
    assert "data" not in response.json()


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"query": "{ __typename }", "variables": "{not json"}, "`variables` is not valid JSON"),
        ({"query": "{ __typename }", "variables": "[1]"}, "`variables` must be an object"),
        ({"variables": "{}"}, "no `query`"),
        ({"query": ""}, "no `query`"),
        ({"query": "  ", "variables": "{}"}, "no `query`"),
    ],
)
async def test_a_malformed_get_is_400_bad_request(
    http: httpx.AsyncClient, params: dict[str, str], problem: str
) -> None:
    response = await http.get("/graphql", params=params, headers={"Accept": GQL})
    assert response.status_code == 400
    assert code(response) == "BAD_REQUEST"
    assert problem in response.json()["errors"][0]["message"]


# -- Status codes of GraphQL's own failures


@pytest.mark.parametrize(
    ("payload", "expected_code"),
    [
        pytest.param({"query": "{"}, "GRAPHQL_PARSE_FAILED", id="parse-865D-556A-D586-572B"),
        pytest.param(
            {"query": NOT_A_FIELD}, "GRAPHQL_VALIDATION_FAILED", id="validate-51FE-74FF-5E5B-FDE2"
        ),
        pytest.param(AUDIT_COERCE_FAILURE, "GRAPHQL_VALIDATION_FAILED", id="86EE-7B9B"),
        pytest.param(COERCE_FAILURE, "BAD_USER_INPUT", id="coercion"),
        pytest.param(
            {"query": "query A { __typename } query B { __typename }", "operationName": "C"},
            "BAD_REQUEST",
            id="unknown-operation-name",
        ),
        pytest.param(
            {"query": "{ a: __typename " * 40 + "}" * 40},
            "OPERATION_LIMIT_EXCEEDED",
            id="over-a-limit",
        ),
        pytest.param({"query": TWO_OPERATIONS}, "BAD_REQUEST", id="no-operation-name"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_request_errors_are_400_without_data_in_graphql_response_json(
    http: httpx.AsyncClient, payload: dict[str, Any], expected_code: str, method: str
) -> None:
    headers = {"Accept": GQL}
    if method == "GET":
        params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in payload.items()}
        response = await http.get("/graphql", params=params, headers=headers)
    else:
        response = await post(http, payload, accept=GQL)
    assert response.status_code == 400
    assert media_type(response) == GQL
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == expected_code


@pytest.mark.parametrize(
    ("payload", "expected_code"),
    [
        ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": NOT_A_FIELD}, "GRAPHQL_VALIDATION_FAILED"),
        (AUDIT_COERCE_FAILURE, "GRAPHQL_VALIDATION_FAILED"),
        (COERCE_FAILURE, "BAD_USER_INPUT"),
    ],
)
async def test_request_errors_keep_200_and_null_data_in_application_json(
    http: httpx.AsyncClient, payload: dict[str, Any], expected_code: str
) -> None:
    response = await post(http, payload, accept=JSON)
    assert response.status_code == 200
    assert media_type(response) == JSON
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == expected_code


@pytest.mark.parametrize("accept", [GQL, JSON])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_several_operations_and_no_operation_name_is_refused_not_run(
    http: httpx.AsyncClient, accept: str, method: str
) -> None:
    # A request error by the spec (not "run the first one"): refused before anything
    # runs, in the one refusal shape whatever the media type.
    if method == "GET":
        response = await http.get(
            "/graphql", params={"query": TWO_OPERATIONS}, headers={"Accept": accept}
        )
    else:
        response = await post(http, {"query": TWO_OPERATIONS}, accept=accept)
    assert response.status_code == 400
    assert media_type(response) == accept
    body = response.json()
    assert set(body) == {"errors"}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "2 operations (A, B)" in error["message"]
    assert "`operationName`" in error["message"]
    chosen = await post(http, {"query": TWO_OPERATIONS, "operationName": "B"}, accept=accept)
    assert chosen.status_code == 200
    assert chosen.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [GQL, JSON])
async def test_once_execution_started_the_answer_is_200_with_data(
    http: httpx.AsyncClient, accept: str
) -> None:
    # A field's error: execution ran, so data is there (null where it failed), HTTP 200.
    response = await http.post(
        "/graphql",
        json={"query": 'query P { promotion(programId: "469", id: "1") { id } }'},
        headers={"Accept": accept, "Authorization": DEMO_AUTHORIZATION},
    )
    assert response.status_code == 200
    assert media_type(response) == accept
    body = response.json()
    assert body["data"] == {"promotion": None}
    assert body["errors"][0]["extensions"]["code"] == "PROMOTION_NOT_FOUND"


async def test_graphiql_is_still_served_to_a_browser_in_development(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_production_has_no_graphiql_and_says_what_is_missing(sandbox: SandboxAdmin) -> None:
    settings = settings_for(sandbox.url, environment="production")
    async with gateway_for(settings) as gateway:
        browser = await gateway.http.get(
            "/graphql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        )
        html_only = await gateway.http.get("/graphql", headers={"Accept": "text/html"})
        home = await gateway.http.get("/")
    assert browser.status_code == 400
    assert code(browser) == "BAD_REQUEST"
    assert "no `query`" in browser.json()["errors"][0]["message"]
    assert html_only.status_code == 406
    assert home.status_code == 200
    assert home.json()["graphql"] == "/graphql"
    message = home.json()["message"]
    assert "POST `Content-Type: application/json`" in message
    assert "or GET with a header forcing a CORS preflight" in message  # CSRF prevention is on


async def test_development_home_leads_to_graphiql(gateway: GatewayClient) -> None:
    home = await gateway.http.get("/", follow_redirects=False)
    assert home.status_code in (302, 307)
    assert home.headers["location"] == "/graphql"
