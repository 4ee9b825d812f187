"""`make bench-inprocess`: CPU per nested query in one process, without the network.

The gateway app (`create_app`) is called over ASGI, and its upstream is the sandbox's
own app: each distinct upstream request is answered by the sandbox once, then
replayed from memory, so what is measured is the gateway's work alone. Quieter
than `make bench` for comparing two versions of a change (run each a few times:
the noise is about ±0.5 ms). Not a substitute for it: no HTTP server, no real
sockets, no concurrency.

    python -m bench.inprocess --queries 500 [--cold] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time

import httpx

from bench.targets import CACHE_TTL_S, HEADERS, gateway_environment
from bench.workload import nested_bodies
from gateway.app import create_app
from gateway.settings import Settings
from sandbox.app import Sandbox
from sandbox.app import create_app as sandbox_app
from sandbox.data import build


class Replay:
    """The sandbox's answer to each distinct request, asked once."""

    def __init__(self, customers: int) -> None:
        upstream = sandbox_app(Sandbox(build(bench_customers=customers)))
        self._sandbox = httpx.AsyncClient(
            transport=httpx.ASGITransport(upstream), base_url="http://sandbox"
        )
        self._answers: dict[tuple[str, str], tuple[int, bytes]] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        key = (str(request.url), request.headers.get("Authorization", ""))
        if key not in self._answers:
            answer = await self._sandbox.send(
                httpx.Request(request.method, request.url, headers=request.headers)
            )
            self._answers[key] = (answer.status_code, answer.content)
        status, content = self._answers[key]
        return httpx.Response(status, content=content, headers={"Content-Type": "application/json"})


async def measure(queries: int, customers: int, cold: bool, profile: bool) -> None:
    settings = Settings.from_env(
        gateway_environment("http://sandbox", cache_ttl_s=0 if cold else CACHE_TTL_S)
    )
    app = create_app(settings, transport=httpx.MockTransport(Replay(customers)))
    bodies = [body.encode() for body in nested_bodies(customers)]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gateway") as client,
    ):

        async def query(n: int) -> None:
            response = await client.post("/graphql", content=bodies[n % customers], headers=HEADERS)
            if response.status_code != 200 or b'"errors"' in response.content:
                raise RuntimeError(f"the gateway answered {response.status_code}: {response.text}")

        for n in range(2 * customers):  # every answer recorded, every promotion cached
            await query(n)
        started = time.process_time()
        for _ in range(queries):
            await client.get("/healthz")
        baseline = (time.process_time() - started) / queries
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        started = time.process_time()
        for n in range(queries):
            await query(n)
        spent = (time.process_time() - started) / queries
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    kind = "cold (no promotion cache)" if cold else "warm"
    print(
        f"{kind} nested query: {spent * 1000:.2f} ms CPU "
        f"(a /healthz request through the same stack: {baseline * 1000:.2f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--cold", action="store_true", help="CACHE_TTL_S=0: 50 by-id calls")
    parser.add_argument("--profile", action="store_true", help="cProfile's top 30 (slower)")
    args = parser.parse_args()
    asyncio.run(measure(args.queries, args.customers, args.cold, args.profile))


if __name__ == "__main__":
    main()
