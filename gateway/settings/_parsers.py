"""What each kind of setting accepts: text in, a value out, or a ValueError saying why not.

A parser's `accepts` is what the settings table (docs/settings.md) says the variable takes.
"""

from __future__ import annotations

from typing import Literal

from gateway.settings._declare import Parser, parser

Environment = Literal["development", "production"]

text = Parser(str, "text")
address = Parser(str, "host name or IP address")
credential = Parser(str, "`Authorization` header value")
secret_key = Parser(str, "text (keep it secret)")
file_path = Parser(str, "file path")
log_level = Parser(str.upper, "log level name (any case)")


@parser("integer ≥ 1")
def positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


@parser("integer ≥ 0")
def non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must not be negative")
    return value


@parser("number > 0")
def positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be greater than 0")
    return value


@parser("number ≥ 0")
def non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0:
        raise ValueError("must not be negative")
    return value


@parser("number from 0 to 1")
def share(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 1:
        raise ValueError("must be between 0 and 1")
    return value


@parser("`true`/`false` (or `1`/`0`, `yes`/`no`, `on`/`off`)")
def boolean(raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


@parser("comma-separated origins (`https://host[:port]`) or `*`")
def origins(raw: str) -> tuple[str, ...]:
    found = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in found:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not an origin (https://host[:port])")
    return found


@parser("port number, 0 to 65535")
def port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("must be a port number")
    return value


@parser("integer from 1 to 100")
def page_size(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 100:
        raise ValueError("must be between 1 and 100 (the upstream's maximum)")
    return value


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
