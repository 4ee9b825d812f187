"""`promotions-gateway`: serve the gateway, on the embedded sandbox when no upstream is set.

In production (GATEWAY_ENV=production) there is no sandbox: without UPSTREAM_URL the
process refuses to start (exit 2), rather than serve the sandbox's fake promotions."""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from gateway.observability import configure_logging
from gateway.runtime._sandbox import EMBEDDED_SANDBOX, sandbox_url
from gateway.runtime._server import serve
from gateway.settings import Settings, SettingsError

logger = logging.getLogger("gateway")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="promotions-gateway", description=__doc__)
    parser.add_argument("--host", help="listen address (HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (PORT, default 8000)")
    parser.add_argument("--upstream", help="vendor API base URL (UPSTREAM_URL; none: sandbox)")
    parser.add_argument("--workers", type=int, help="worker processes (WEB_CONCURRENCY)")
    args = parser.parse_args(argv)
    # Only this process says whether its upstream is a sandbox it started (below).
    os.environ.pop(EMBEDDED_SANDBOX, None)
    environ = dict(os.environ)
    for name, value in (
        ("HOST", args.host),
        ("PORT", args.port),
        ("UPSTREAM_URL", args.upstream),
        ("WEB_CONCURRENCY", args.workers),
    ):
        if value is not None:
            environ[name] = str(value)
    try:
        settings = Settings.from_env(environ)
    except SettingsError as error:
        parser.exit(2, f"promotions-gateway: {error}\n")
    configure_logging(settings.log_level, json_lines=settings.is_production)
    if settings.upstream_url is None and settings.is_production:
        parser.exit(
            2,
            "promotions-gateway: UPSTREAM_URL is required in production (GATEWAY_ENV=production);"
            " set it to the vendor API's base URL (the embedded sandbox, with its fake data and"
            " demo credential, runs only in development).\n",
        )

    if settings.upstream_url is None:
        from sandbox import DEMO_AUTHORIZATION

        url, started = start_sandbox(settings.sandbox_port)
        environ["UPSTREAM_URL"] = url
        if started:  # the IDE may then preset the sandbox's demo credential
            environ[EMBEDDED_SANDBOX] = url
        environ.setdefault("UPSTREAM_AUTHORIZATION", DEMO_AUTHORIZATION)
        logger.info("sandbox upstream on %s (demo credential preset)", environ["UPSTREAM_URL"])
    if settings.workers > 1 or environ.get("PROMETHEUS_MULTIPROC_DIR"):
        environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_directory(environ)
    # Workers are separate processes: hand them the settings through the environment.
    os.environ.update(environ)
    logger.info("GraphQL on http://%s:%s/graphql", settings.host, settings.port)
    serve(settings)


def metrics_directory(environ: dict[str, str]) -> str:
    """Where the workers share their metrics: emptied (or made) before they start."""
    given = environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not given:
        directory = tempfile.mkdtemp(prefix="gateway-metrics-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        return directory
    path = Path(given)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return given


def start_sandbox(port: int) -> tuple[str, bool]:
    """Serve the sandbox upstream in a child process (or reuse one on that port): its
    URL, and whether this process started it."""
    url = sandbox_url(port)
    if _answers(url):
        return url, False
    command = [sys.executable, "-m", "sandbox", "--port", str(port), "--exit-with-parent"]
    child = subprocess.Popen(command)
    atexit.register(child.terminate)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"the sandbox could not start on port {port}")
        if _answers(url):
            return url, True
        time.sleep(0.1)
    child.terminate()
    raise SystemExit("the sandbox did not answer within 15 s")


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/__sandbox/health", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False
