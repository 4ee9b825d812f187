"""What each kind of setting accepts: text in, a value out, or a ValueError saying why not.

A parser's `accepts` is what the settings table (docs/settings.md) says the variable takes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from redis.connection import parse_url

from gateway.settings._declare import Parser, parser

Environment = Literal["development", "production"]
N = TypeVar("N", int, float)

address = Parser(str, "host name or IP address")
credential = Parser(str, "`Authorization` header value")
secret_key = Parser(str, "text (keep it secret)")
file_path = Parser(str, "file path")
log_level = Parser(str.upper, "log level name (any case)")


def _bounded(
    convert: Callable[[str], N], accepts: str, fits: Callable[[N], bool], problem: str
) -> Parser[N]:
    """A number parser refusing, with `problem`, what `fits` does not accept (NaN too)."""

    def read(raw: str) -> N:
        value = convert(raw)
        if not fits(value):
            raise ValueError(problem)
        return value

    return Parser(read, accepts)


positive_int = _bounded(int, "integer ≥ 1", lambda n: n >= 1, "must be at least 1")
non_negative_int = _bounded(int, "integer ≥ 0", lambda n: n >= 0, "must not be negative")
positive_float = _bounded(float, "number > 0", lambda n: n > 0, "must be greater than 0")
non_negative_float = _bounded(float, "number ≥ 0", lambda n: n >= 0, "must not be negative")
share = _bounded(float, "number from 0 to 1", lambda n: 0 <= n <= 1, "must be between 0 and 1")
port = _bounded(int, "port number, 0 to 65535", lambda n: 0 <= n <= 65535, "must be a port number")
page_size = _bounded(
    int,
    "integer from 1 to 100",
    lambda n: 1 <= n <= 100,
    "must be between 1 and 100 (the upstream's maximum)",
)


@parser("`true`/`false` (or `1`/`0`, `yes`/`no`, `on`/`off`)")
def boolean(raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


@parser(
    "comma-separated origins (`https://host[:port]`), wildcard subdomains "
    "(`https://*.example.com`), or `*`"
)
def origins(raw: str) -> tuple[str, ...]:
    found = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in found:
        if origin == "*":
            continue
        scheme, separator, host = origin.partition("://")
        if scheme not in ("http", "https") or not separator or not host:
            raise ValueError(f"{origin!r} is not an origin (https://host[:port])")
        if "*" in host and (not host.startswith("*.") or "*" in host[2:] or "." not in host[2:]):
            raise ValueError(
                f"{origin!r}: a wildcard stands for subdomains only, as in https://*.example.com"
            )
    return found


@parser("`development` or `production` (any case)")
def environment(raw: str) -> Environment:
    value = raw.lower()
    if value == "development":
        return "development"
    if value == "production":
        return "production"
    raise ValueError("must be 'development' or 'production'")


@parser("`http://` or `https://` URL")
def url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return raw.rstrip("/")


@parser("path starting with `/`")
def path(raw: str) -> str:
    if not raw.startswith("/"):
        raise ValueError("must start with /")
    return raw


@parser("`redis://`, `rediss://` (TLS) or `unix://` URL, user and password allowed")
def redis_url(raw: str) -> str:
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must start with redis://, rediss:// or unix://")
    try:
        # What redis-py will make of it: now, rather than at the first command.
        parse_url(raw)  # type: ignore[no-untyped-call]
    except ValueError as error:
        raise ValueError(f"is not a Redis URL redis-py can use ({error})") from None
    return raw


@parser("letters, digits, `-`, `_`, `.` and `:`")
def key_prefix(raw: str) -> str:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")
    if not set(raw) <= allowed or "{" in raw:
        raise ValueError("may hold only letters, digits, '-', '_', '.' and ':'")
    return raw
