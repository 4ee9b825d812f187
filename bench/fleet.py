"""`make fleet`: a fleet on one machine, to try what the replicas share.

Starts the sandbox upstream, a `redis-server` (Debian's; nothing saved to disk) and
three gateway processes on consecutive ports (`FLEET_PORT`, default 8001: 8001, 8002,
8003), all on 127.0.0.1 and sharing the Redis. Ctrl-C stops them all.

    make fleet
    curl -s localhost:8001/graphql -H 'Content-Type: application/json' \\
      -d '{"query": "{ __typename }"}'
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import time
from contextlib import ExitStack

from bench.processes import free_port, started
from bench.redis_server import RedisServer
from sandbox import DEMO_AUTHORIZATION


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _interrupt)  # stopped as by Ctrl-C: everything goes
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("FLEET_PORT", "8001")))
    parser.add_argument("--replicas", type=int, default=3)
    args = parser.parse_args(argv)
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    python = sys.executable
    with ExitStack() as stack:
        redis = stack.enter_context(RedisServer())
        stack.enter_context(
            started(
                [python, "-m", "sandbox", "--port", str(sandbox_port)],
                dict(os.environ),
                f"{sandbox_url}/__sandbox/health",
            )
        )
        shared = {
            **os.environ,
            "UPSTREAM_URL": sandbox_url,
            "UPSTREAM_AUTHORIZATION": DEMO_AUTHORIZATION,
            "REDIS_URL": redis.url,
            # One secret for the fleet: it scopes the shared cache by credential.
            "CACHE_KEY_SECRET": os.environ.get("CACHE_KEY_SECRET") or secrets.token_hex(32),
            "FLEET_MAX_PROCESSES": str(args.replicas),
        }
        urls = []
        for port in range(args.port, args.port + args.replicas):
            url = f"http://127.0.0.1:{port}"
            env = {**shared, "PORT": str(port)}
            stack.enter_context(started([python, "-m", "gateway"], env, f"{url}/healthz"))
            urls.append(url)
        print(f"sandbox  {sandbox_url}  (admin: {sandbox_url}/__sandbox/stats)")
        print(f"redis    {redis.url}")
        for url in urls:
            print(f"gateway  {url}/graphql")
        print("Ctrl-C stops them all.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopping the fleet")


if __name__ == "__main__":
    main()
