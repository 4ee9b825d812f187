from gateway.runtime.worker import sandbox_authorization
from gateway.settings import Settings
from sandbox import DEMO_AUTHORIZATION


def test_only_the_embedded_sandbox_s_demo_credential_is_ever_given_to_the_ide() -> None:
    on_sandbox = Settings(upstream_url="http://127.0.0.1:9123", sandbox_port=9123)
    assert sandbox_authorization(on_sandbox) == DEMO_AUTHORIZATION
    configured = on_sandbox.replace(upstream_authorization="Bearer mine")
    assert sandbox_authorization(configured) == DEMO_AUTHORIZATION
    for elsewhere in (
        on_sandbox.replace(upstream_url="http://127.0.0.1:9124"),
        on_sandbox.replace(upstream_url="https://eu.api.example.com"),
        configured.replace(upstream_url="http://10.0.0.1:9123"),
    ):
        assert sandbox_authorization(elsewhere) is None
