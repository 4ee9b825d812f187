from gateway.runtime._sandbox import EMBEDDED_SANDBOX, sandbox_url
from gateway.runtime.worker import sandbox_authorization
from gateway.settings import Settings
from sandbox import DEMO_AUTHORIZATION

ON_SANDBOX_PORT = Settings(upstream_url=sandbox_url(9123), sandbox_port=9123)


def test_the_demo_credential_is_given_when_the_cli_started_the_upstream_sandbox() -> None:
    started = {EMBEDDED_SANDBOX: sandbox_url(9123)}
    assert sandbox_authorization(ON_SANDBOX_PORT, started) == DEMO_AUTHORIZATION
    configured = ON_SANDBOX_PORT.replace(upstream_authorization="Bearer mine")
    assert sandbox_authorization(configured, started) == DEMO_AUTHORIZATION


def test_an_upstream_on_the_sandbox_port_is_not_the_sandbox_unless_the_cli_says_so() -> None:
    # A proxy (or anything else) listening on SANDBOX_PORT, named as UPSTREAM_URL.
    assert sandbox_authorization(ON_SANDBOX_PORT, {}) is None
    # The CLI started a sandbox, but the upstream is elsewhere.
    for elsewhere in (sandbox_url(9124), "https://eu.api.example.com", "http://10.0.0.1:9123"):
        settings = ON_SANDBOX_PORT.replace(upstream_url=elsewhere)
        assert sandbox_authorization(settings, {EMBEDDED_SANDBOX: sandbox_url(9123)}) is None
