"""`make bench-inprocess`: CPU per nested query in one process, without the network.

The gateway app (`create_app`) is called over ASGI, and its upstream is the sandbox's
own app: each distinct upstream request is answered by the sandbox once, then
replayed from memory, so what is measured is the gateway's work alone. Quieter
than `make bench` for comparing two versions of a change (run each a few times:
the noise is about ±0.5 ms). Not a substitute for it: no HTTP server, no real
sockets, no concurrency.

`--engine-ab` measures what the fast executor (schema/_engine) buys: two gateways
in the same process, one with FAST_EXECUTION=true and one with false, both warmed
and checked to give the same answers, then measured in turn (A B A B ...,
`--rounds` pairs of `--queries` each); it prints the median ratio of the pairs.

    python -m bench.inprocess --queries 500 [--cold] [--profile]
    python -m bench.inprocess --engine-ab [--rounds 4] [--queries 300] [--cold]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

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


# Sends the nth nested query; returns the answer as it came.
Query = Callable[[int], Awaitable[bytes]]


def settings_for(cold: bool, **environment: str) -> Settings:
    return Settings.from_env(
        {
            **gateway_environment("http://sandbox", cache_ttl_s=0 if cold else CACHE_TTL_S),
            **environment,
        }
    )


@asynccontextmanager
async def gateway(
    settings: Settings, replay: Replay, customers: int
) -> AsyncIterator[tuple[Query, httpx.AsyncClient]]:
    """The gateway app over ASGI, on `replay`, warmed (every answer recorded, every
    promotion cached): how to send the nth nested query, and the client."""
    app = create_app(settings, transport=httpx.MockTransport(replay))
    bodies = [body.encode() for body in nested_bodies(customers)]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gateway") as client,
    ):

        async def query(n: int) -> bytes:
            response = await client.post("/graphql", content=bodies[n % customers], headers=HEADERS)
            if response.status_code != 200 or b'"errors"' in response.content:
                raise RuntimeError(f"the gateway answered {response.status_code}: {response.text}")
            return response.content

        for n in range(2 * customers):
            await query(n)
        yield query, client


async def cpu_per_query(query: Query, queries: int) -> float:
    started = time.process_time()
    for n in range(queries):
        await query(n)
    return (time.process_time() - started) / queries


async def measure(queries: int, customers: int, cold: bool, profile: bool) -> None:
    replay = Replay(customers)
    async with gateway(settings_for(cold), replay, customers) as (query, client):
        started = time.process_time()
        for _ in range(queries):
            await client.get("/healthz")
        baseline = (time.process_time() - started) / queries
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        spent = await cpu_per_query(query, queries)
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    kind = "cold (no promotion cache)" if cold else "warm"
    print(
        f"{kind} nested query: {spent * 1000:.2f} ms CPU "
        f"(a /healthz request through the same stack: {baseline * 1000:.2f} ms)"
    )


async def engine_ab(queries: int, customers: int, cold: bool, rounds: int) -> None:
    """CPU per nested query with the engine on (A) and off (B), in turn."""
    replay = Replay(customers)
    async with AsyncExitStack() as stack:
        on, _ = await stack.enter_async_context(
            gateway(settings_for(cold, FAST_EXECUTION="true"), replay, customers)
        )
        off, _ = await stack.enter_async_context(
            gateway(settings_for(cold, FAST_EXECUTION="false"), replay, customers)
        )
        for n in range(customers):
            if json.loads(await on(n))["data"] != json.loads(await off(n))["data"]:
                raise RuntimeError(f"the engine changes the answer to nested query {n}")
        spent: dict[str, list[float]] = {"on": [], "off": []}
        for round_ in range(1, rounds + 1):
            for name, query in (("on", on), ("off", off)):
                spent[name].append(await cpu_per_query(query, queries))
                print(
                    f"round {round_} engine {name:<3}: {spent[name][-1] * 1000:6.2f} ms CPU/query"
                )
    kind = "cold (no promotion cache)" if cold else "warm"
    ratio = statistics.median(b / a for a, b in zip(spent["on"], spent["off"], strict=True))
    print(
        f"{kind} nested query, CPU per query: engine on "
        f"{statistics.median(spent['on']) * 1000:.2f} ms, off "
        f"{statistics.median(spent['off']) * 1000:.2f} ms; off/on {ratio:.2f} "
        f"(median of {rounds} A B pairs of {queries} queries)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--cold", action="store_true", help="CACHE_TTL_S=0: 50 by-id calls")
    parser.add_argument("--profile", action="store_true", help="cProfile's top 30 (slower)")
    parser.add_argument(
        "--engine-ab", action="store_true", help="the engine on against off, A B A B"
    )
    parser.add_argument("--rounds", type=int, default=4, help="A B pairs, with --engine-ab")
    args = parser.parse_args()
    if args.engine_ab:
        asyncio.run(engine_ab(args.queries, args.customers, args.cold, args.rounds))
    else:
        asyncio.run(measure(args.queries, args.customers, args.cold, args.profile))


if __name__ == "__main__":
    main()
