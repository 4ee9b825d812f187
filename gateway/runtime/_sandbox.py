"""Where the embedded sandbox upstream listens when the process serves it, and how the
CLI tells its workers that it started that sandbox."""

from __future__ import annotations

# Set by the CLI, for its workers, to the URL of the sandbox it has just started as the
# upstream (and removed otherwise): the one fact that lets the IDE preset the sandbox's
# public demo credential. Internal, not a setting: an upstream merely listening on
# SANDBOX_PORT (a proxy, `make sandbox`) is not the embedded sandbox.
EMBEDDED_SANDBOX = "GATEWAY_EMBEDDED_SANDBOX_URL"


def sandbox_url(port: int) -> str:
    """The sandbox's base URL on `port` (SANDBOX_PORT): loopback only."""
    return f"http://127.0.0.1:{port}"
