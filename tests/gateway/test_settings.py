import pytest

from gateway.credentials import Credential
from gateway.settings import Settings, SettingsError


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert (settings.port, settings.environment, settings.upstream_url) == (
        8000,
        "development",
        None,
    )
    assert settings.promotion_path.startswith("/v1/api_gateway/")


def test_the_environment_is_read_and_typed() -> None:
    settings = Settings.from_env(
        {
            "PORT": "9000",
            "GATEWAY_ENV": "production",
            "UPSTREAM_URL": "https://eu.example/",
            "CACHE_TTL_S": "5",
        }
    )
    assert settings.port == 9000
    assert settings.is_production
    assert settings.upstream_url == "https://eu.example"
    assert settings.cache_ttl_s == 5.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "http"),
        ("GATEWAY_ENV", "staging"),
        ("UPSTREAM_URL", "eu.example"),
        ("LIST_PAGE_SIZE", "500"),
    ],
)
def test_a_bad_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_credentials_never_show_in_reprs() -> None:
    settings = Settings(upstream_authorization="Basic c2VjcmV0")
    credential = Credential.from_header("Basic c2VjcmV0", secret=b"key")
    assert "c2VjcmV0" not in repr(settings)
    assert "c2VjcmV0" not in repr(credential)


def test_fingerprints_are_keyed_and_distinct() -> None:
    one = Credential.from_header("Basic a", secret=b"k1")
    assert one.fingerprint != Credential.from_header("Basic b", secret=b"k1").fingerprint
    assert one.fingerprint != Credential.from_header("Basic a", secret=b"k2").fingerprint
    assert Credential.from_header(None, secret=b"k1").authorization is None
