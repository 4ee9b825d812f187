"""What the benchmarks start: the sandbox, our gateway and the Apollo peer, as processes."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.processes import free_port, started
from sandbox import DEMO_AUTHORIZATION

PEER_DIR = Path(os.environ.get("PEER_DIR", Path(__file__).parents[1] / "../shared/peers/apollo"))
HEADERS = {"Content-Type": "application/json", "Authorization": DEMO_AUTHORIZATION}
# Both sides keep promotions longer than a benchmark lasts ("warm promotion cache").
CACHE_TTL_S = 900


@dataclass(frozen=True)
class Target:
    name: str
    url: str  # the GraphQL endpoint
    pid: int


@dataclass(frozen=True)
class Sandbox:
    url: str
    pid: int

    def calls(self) -> dict[str, int]:
        stats = httpx.get(f"{self.url}/__sandbox/stats", timeout=30).json()
        return {endpoint: int(count) for endpoint, count in stats["calls"].items()}


@contextmanager
def sandbox(customers: int, latency_ms: int = 0) -> Iterator[Sandbox]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "sandbox", "--port", str(port)]
    command += ["--bench-customers", str(customers), "--latency-ms", str(latency_ms)]
    with started(command, dict(os.environ), f"{url}/__sandbox/health") as process:
        yield Sandbox(url, process.pid)


def gateway_environment(upstream: str, cache_ttl_s: int = CACHE_TTL_S) -> dict[str, str]:
    """Our gateway as benchmarked: production mode, on `upstream`. The sandbox has no
    quota, so the upstream and client rate limits are lifted: this measures the
    gateway, not the vendor's quota."""
    return {
        "GATEWAY_ENV": "production",
        "UPSTREAM_URL": upstream,
        "UPSTREAM_RATE_LIMIT_PER_MIN": "100000000",
        "CLIENT_RATE_LIMIT_PER_MIN": "0",
        "CACHE_TTL_S": str(cache_ttl_s),
    }


@contextmanager
def gateway(
    upstream: str,
    workers: int = 1,
    name: str = "gateway",
    source: Path | None = None,
    environment: dict[str, str] | None = None,
) -> Iterator[Target]:
    """Our gateway as a process (`gateway_environment`, plus `environment`), with
    `workers` workers; from the checkout at `source` (another version) if given."""
    port = free_port()
    environ = {
        **os.environ,
        **gateway_environment(upstream),
        **(environment or {}),
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
    }
    if source is not None:
        # `python -m` puts the working directory first on the path: that checkout's code.
        environ["PYTHONPATH"] = str(source)
    command = [sys.executable, "-m", "gateway"]
    health = f"http://127.0.0.1:{port}/healthz"
    with started(command, environ, health, quiet=True, cwd=source) as process:
        yield Target(name, f"http://127.0.0.1:{port}/graphql", process.pid)


def peer_available() -> bool:
    return shutil.which("node") is not None and (PEER_DIR / "node_modules").is_dir()


@contextmanager
def peer(upstream: str, name: str = "apollo") -> Iterator[Target]:
    """The Apollo peer, one process, started as its README says."""
    port = free_port()
    environ = {
        **os.environ,
        "UPSTREAM_URL": upstream,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "NODE_ENV": "production",
        "PROMOTION_CACHE_TTL_MS": str(CACHE_TTL_S * 1000),
    }
    command = ["node", str(PEER_DIR / "server.mjs")]
    with started(command, environ, f"http://127.0.0.1:{port}/healthz", quiet=True) as process:
        yield Target(name, f"http://127.0.0.1:{port}/graphql", process.pid)
