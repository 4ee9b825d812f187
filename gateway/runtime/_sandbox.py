"""Where the embedded sandbox upstream listens when the process serves it."""

from __future__ import annotations


def sandbox_url(port: int) -> str:
    """The sandbox's base URL on `port` (SANDBOX_PORT): loopback only."""
    return f"http://127.0.0.1:{port}"
