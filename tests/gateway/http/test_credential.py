from starlette.types import Scope

from gateway.credentials import Credential
from gateway.http._credential import Credentials

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


def test_a_request_without_one_gets_the_configured_default() -> None:
    assert CREDENTIALS.of(request()) == Credential.from_header("Basic default", secret=b"k")
    anonymous = Credentials(None, secret=b"k").of(request())
    assert anonymous.authorization is None
    assert anonymous.fingerprint == "anonymous"
