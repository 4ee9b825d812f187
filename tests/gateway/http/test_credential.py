import httpx
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from gateway.credentials import Credential
from gateway.http import ClientRateLimit, Credentials, FrontDoor
from gateway.operations import PersistedQueries

CREDENTIALS = Credentials("Basic default", secret=b"k")


def request(authorization: bytes | None = None) -> Scope:
    headers = [] if authorization is None else [(b"authorization", authorization)]
    return {"type": "http", "headers": headers}


def test_a_request_s_credential_is_made_once_and_kept_in_its_state() -> None:
    scope = request(b"Basic mine")
    first = CREDENTIALS.of(scope)
    assert CREDENTIALS.of(scope) is first
    assert scope["state"]["credential"] is first
    assert first == Credential.from_header("Basic mine", secret=b"k")


def test_each_request_gets_its_own() -> None:
    assert CREDENTIALS.of(request(b"Basic a")) != CREDENTIALS.of(request(b"Basic b"))


def test_a_request_without_one_gets_the_configured_default_marked_as_such() -> None:
    for scope in (request(), request(b"  ")):
        default = CREDENTIALS.of(scope)
        assert default.authorization == "Basic default"
        assert (
            default.fingerprint == Credential.from_header("Basic default", secret=b"k").fingerprint
        )
        assert default.configured
    assert not CREDENTIALS.of(request(b"Basic mine")).configured
    anonymous = Credentials(None, secret=b"k").of(request())
    assert anonymous.authorization is None
    assert anonymous.fingerprint == "anonymous"
    assert not anonymous.configured


async def test_the_front_door_and_the_view_share_the_request_s_one_credential() -> None:
    seen: list[Credential] = []

    async def view(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["state"]["credential"])  # already made by the front door
        seen.append(CREDENTIALS.of(scope))  # as the view's context getter reads it
        await PlainTextResponse("ok")(scope, receive, send)

    door = FrontDoor(
        view,
        persisted=PersistedQueries(0),
        trusted=None,
        client_limit=ClientRateLimit(600),
        credentials=CREDENTIALS,
        csrf_prevention=True,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=door), base_url="http://gateway.test"
    ) as client:
        response = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "Basic mine"}
        )
    assert response.status_code == 200
    assert len(seen) == 2
    assert seen[0] is seen[1]
    assert seen[0] == Credential.from_header("Basic mine", secret=b"k")
