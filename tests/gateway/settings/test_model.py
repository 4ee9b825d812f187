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
        ("OPERATION_TIMEOUT_S", "0"),
        ("UPSTREAM_RETRY_BUDGET", "1.5"),
        ("UPSTREAM_MAX_RETRIES", "-1"),
        ("MAX_REQUEST_BYTES", "lots"),
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


def test_resilience_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            "OPERATION_TIMEOUT_S": "2.5",
            "STALE_IF_ERROR_S": "0",
            "BREAKER_FAILURE_THRESHOLD": "3",
            "SHUTDOWN_GRACE_S": "7",
        }
    )
    assert settings.operation_timeout_s == 2.5
    assert settings.stale_if_error_s == 0
    assert settings.breaker_failure_threshold == 3
    assert settings.shutdown_grace_s == 7


def test_each_worker_takes_an_equal_share_of_the_quota() -> None:
    one = Settings.from_env({"UPSTREAM_RATE_LIMIT_PER_MIN": "1200"})
    four = Settings.from_env({"UPSTREAM_RATE_LIMIT_PER_MIN": "1200", "WEB_CONCURRENCY": "4"})
    assert one.upstream_rate_per_worker == 20.0
    assert four.upstream_rate_per_worker == 5.0


def test_call_slots_must_fit_in_the_pool() -> None:
    with pytest.raises(SettingsError, match="UPSTREAM_MAX_CONCURRENCY"):
        Settings.from_env({"UPSTREAM_MAX_CONCURRENCY": "200", "UPSTREAM_MAX_CONNECTIONS": "100"})


def test_fast_execution_is_on_unless_turned_off() -> None:
    assert Settings.from_env({}).fast_execution is True
    assert Settings.from_env({"FAST_EXECUTION": "false"}).fast_execution is False
    assert Settings.from_env({"FAST_EXECUTION": "Off"}).fast_execution is False
    assert Settings.from_env({"FAST_EXECUTION": "1"}).fast_execution is True
    with pytest.raises(SettingsError, match="FAST_EXECUTION='fast': must be true or false"):
        Settings.from_env({"FAST_EXECUTION": "fast"})


@pytest.mark.parametrize(
    "raw", ["https://*.example.com", "https://app.example.com:8443, https://*.example.org", "*"]
)
def test_cors_origins_take_exact_and_wildcard_subdomain_origins(raw: str) -> None:
    settings = Settings.from_env({"CORS_ORIGINS": raw})
    assert settings.cors_origins == tuple(o.strip() for o in raw.split(","))


@pytest.mark.parametrize(
    "raw",
    ["example.com", "https://*", "https://*example.com", "https://a.*.example.com", "ftp://x"],
)
def test_cors_origins_refuse_what_is_no_origin(raw: str) -> None:
    with pytest.raises(SettingsError, match="CORS_ORIGINS"):
        Settings.from_env({"CORS_ORIGINS": raw})


@pytest.mark.parametrize(
    ("environ", "required"),
    [
        ({}, False),
        ({"GATEWAY_ENV": "production"}, True),
        ({"GATEWAY_ENV": "production", "CSRF_PREVENTION": "false"}, False),
        ({"CSRF_PREVENTION": "true"}, True),
    ],
)
def test_csrf_prevention_follows_the_environment_unless_set(
    environ: dict[str, str], required: bool
) -> None:
    assert Settings.from_env(environ).requires_preflight_for_get is required


def test_explain_is_allowed_in_development_and_in_production_only_when_set() -> None:
    assert Settings().explain_allowed
    production = Settings(environment="production")
    assert not production.explain_allowed
    assert production.replace(allow_explain=True).explain_allowed


@pytest.mark.parametrize(
    "url",
    [
        "redis://:hunter2@cache:port/0",
        "redis://:hunter2@cache:99999/0",
        "redis://:hunter2@cache:6379/0?socket_timeout=soon",
    ],
)
def test_a_redis_url_redis_py_cannot_use_is_a_settings_error_that_hides_the_value(
    url: str,
) -> None:
    with pytest.raises(SettingsError, match="REDIS_URL=<redacted>") as raised:
        Settings.from_env({"REDIS_URL": url, "CACHE_KEY_SECRET": "k" * 32})
    assert "hunter2" not in str(raised.value)


def test_a_malformed_setting_that_is_no_secret_is_shown() -> None:
    with pytest.raises(SettingsError, match="REDIS_KEY_PREFIX='a b'"):
        Settings.from_env({"REDIS_KEY_PREFIX": "a b"})
