"""`make bench`: our gateway against the Apollo peer on the nested customer query.

One sandbox (latency 0, 1,000 customers holding 50 promotions each) serves both.
Each gateway is warmed (every promotion cached), then wrk drives the nested query
rotating through all customers, at each concurrency, alternating gateway and peer
(A B A B A B) so that both see the same machine. Per run: req/s, p50/p90/p99,
upstream calls per query (from the sandbox's counters), CPU ms per query (from
/proc), peak RSS. Then what the fast executor buys: the same gateway against one
with FAST_EXECUTION=false (engine on, engine off, alternating) at one concurrency;
the cold query at 50 ms upstream latency on fresh processes; and one worker against
two. Prints a table and writes bench/results/bench.json.

    python -m bench.run --seconds 10 --rounds 3 --concurrency 1,8,32 [--engine-concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench import targets, wrk
from bench.processes import cpu_seconds, peak_rss_mib
from bench.targets import HEADERS, Sandbox, Target
from bench.workload import nested_bodies, nested_body
from sandbox.app import CUSTOMER_PATH, PROMOTION_PATH
from sandbox.data import bench_mobile

RESULTS = Path(__file__).parent / "results"
COLD_LATENCY_MS = 50


@dataclass(frozen=True)
class Run:
    target: str
    concurrency: int
    round: int
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    failures: int  # socket errors and non-2xx answers
    customer_calls_per_query: float
    promotion_calls_per_query: float
    cpu_ms_per_query: float
    sandbox_cpu_ms_per_query: float  # the upstream's share of the same machine


def measure(
    target: Target, sandbox: Sandbox, bodies: list[str], concurrency: int, seconds: float, n: int
) -> Run:
    calls, cpu, upstream_cpu = sandbox.calls(), cpu_seconds(target.pid), cpu_seconds(sandbox.pid)
    load = wrk.run(target.url, bodies, HEADERS, connections=concurrency, seconds=seconds)
    spent, after = cpu_seconds(target.pid) - cpu, sandbox.calls()
    upstream_spent = cpu_seconds(sandbox.pid) - upstream_cpu
    # Closed loop: when wrk stops, each connection has one request in flight whose
    # customer call was made but which wrk does not count.
    queries = max(load.requests + concurrency, 1)

    def per_query(endpoint: str) -> float:
        return (after.get(endpoint, 0) - calls.get(endpoint, 0)) / queries

    return Run(
        target=target.name,
        concurrency=concurrency,
        round=n,
        per_second=round(load.per_second, 1),
        p50_ms=load.p50_ms,
        p90_ms=load.p90_ms,
        p99_ms=load.p99_ms,
        requests=load.requests,
        failures=load.errors + load.non_2xx,
        customer_calls_per_query=round(per_query("customer_promotions"), 3),
        promotion_calls_per_query=round(per_query("promotion"), 3),
        cpu_ms_per_query=round(spent * 1000 / queries, 2),
        sandbox_cpu_ms_per_query=round(upstream_spent * 1000 / queries, 2),
    )


def answer(target: Target, customer: int, client: httpx.Client | None = None) -> dict[str, Any]:
    post = client.post if client is not None else httpx.post
    response = post(target.url, content=nested_body(customer), headers=HEADERS, timeout=30)
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{target.name} answered {response.status_code}: {response.text[:300]}")
    return body


def warm(target: Target, bodies: list[str], seconds: float = 5) -> None:
    """Every promotion cached, in every worker: many connections, spread by the kernel."""
    load = wrk.run(target.url, bodies, HEADERS, connections=16, seconds=seconds)
    if load.errors or load.non_2xx:
        raise RuntimeError(f"{target.name} failed while warming up: {load}")


def sandbox_floor(sandbox: Sandbox, customer: int) -> float:
    """Milliseconds the sandbox alone takes for one customer call, then that
    customer's by-id calls all at once, on fresh connections: no gateway can be
    faster than this."""

    async def calls() -> float:
        # aiohttp, as under our gateway: httpx's own pool would add its CPU to the floor.
        async with aiohttp.ClientSession(sandbox.url, headers=HEADERS) as client:
            started = time.perf_counter()
            async with client.get(
                CUSTOMER_PATH,
                params={
                    "identifierName": "mobile",
                    "identifierValue": bench_mobile(customer),
                    "source": "INSTORE",
                    "limit": "50",
                    "offset": "0",
                },
            ) as page:
                held = (await page.json())["promotions"]

            async def by_id(promotion: dict[str, Any]) -> None:
                path = PROMOTION_PATH.format(
                    program_id=promotion["programId"], promotion_id=promotion["promotionId"]
                )
                async with client.get(path) as response:
                    await response.read()

            await asyncio.gather(*(by_id(p) for p in held))
            return (time.perf_counter() - started) * 1000

    return round(asyncio.run(calls()), 1)


def cold_query(
    start: Callable[[], AbstractContextManager[Target]], sandbox: Sandbox, customer: int
) -> dict[str, float]:
    """One query on a freshly started gateway: wall time and upstream calls."""
    with start() as target, httpx.Client() as client:
        before = sandbox.calls()
        started = time.perf_counter()  # the client is made first: only the query is timed
        body = answer(target, customer, client)
        wall_ms = (time.perf_counter() - started) * 1000
        after = sandbox.calls()
        nodes = body["data"]["customer"]["promotions"]["nodes"]
        distinct = len({(n["promotion"]["id"]) for n in nodes})
        answer(target, customer, client)
        warm_calls = sum(sandbox.calls().values()) - sum(after.values())
    return {
        "wall_ms": round(wall_ms, 1),
        "calls": sum(after.values()) - sum(before.values()),
        "distinct_promotions": distinct,
        "warm_calls": warm_calls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--cold-samples", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--engine-concurrency",
        type=int,
        default=8,
        help="the engine on against off at this concurrency (0: not measured)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "bench.json")
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    with_peer = not args.no_peer and targets.peer_available()
    if not with_peer:
        print("(the Apollo peer is not installed here: `make bench` runs npm ci for it)")
    bodies = nested_bodies(args.customers)
    runs: list[Run] = []
    rss: dict[str, float] = {}
    with ExitStack() as stack:
        sandbox = stack.enter_context(targets.sandbox(args.customers))
        ours = stack.enter_context(targets.gateway(sandbox.url, name="gateway"))
        contenders = [ours]
        if with_peer:
            apollo = stack.enter_context(targets.peer(sandbox.url))
            contenders.append(apollo)
            agree(ours, apollo)
        for target in contenders:
            warm(target, bodies)
        for concurrency in concurrencies:
            runs += alternate(contenders, sandbox, bodies, concurrency, args.seconds, args.rounds)
        for target in contenders:
            rss[target.name] = round(peak_rss_mib(target.pid), 1)
        if args.engine_concurrency:
            runs += engine_ab(ours, sandbox, bodies, args, rss)
        two = stack.enter_context(targets.gateway(sandbox.url, workers=2, name="gateway x2"))
        warm(two, bodies, seconds=10)  # each worker has its own cache to fill
        top = max(concurrencies)
        one = Target("gateway x1", ours.url, ours.pid)  # the same process, its own rows
        runs += alternate([one, two], sandbox, bodies, top, args.seconds, args.rounds)
        rss["gateway x2"] = round(peak_rss_mib(two.pid), 1)

    cold: dict[str, list[dict[str, float]]] = {"gateway": [], "apollo": []}
    with targets.sandbox(args.customers, latency_ms=COLD_LATENCY_MS) as slow:
        floor = [sandbox_floor(slow, args.customers - 1 - n) for n in range(args.cold_samples)]
        for sample in range(args.cold_samples):
            cold["gateway"].append(cold_query(lambda: targets.gateway(slow.url), slow, sample))
            if with_peer:
                cold["apollo"].append(cold_query(lambda: targets.peer(slow.url), slow, sample))
    report = summarise(runs, rss, cold, concurrencies, with_peer)
    report["cold"]["sandbox_alone_ms"] = statistics.median(floor)
    report["config"] = {**vars(args), "out": str(args.out)}
    report["machine"] = machine()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\nwritten to {args.out}")


def engine_ab(
    ours: Target,
    sandbox: Sandbox,
    bodies: list[str],
    args: argparse.Namespace,
    rss: dict[str, float],
) -> list[Run]:
    """`ours` (engine on) against a gateway with FAST_EXECUTION=false, alternating."""
    environment = {"FAST_EXECUTION": "false"}
    with targets.gateway(sandbox.url, name="engine off", environment=environment) as off:
        agree(ours, off)
        warm(off, bodies)
        on = Target("engine on", ours.url, ours.pid)  # the same process, its own rows
        concurrency = args.engine_concurrency
        runs = alternate([on, off], sandbox, bodies, concurrency, args.seconds, args.rounds)
        rss["engine off"] = round(peak_rss_mib(off.pid), 1)
    return runs


def agree(a: Target, b: Target) -> None:
    """Stop unless `a` and `b` give the same data for the nested query."""
    if answer(a, 1)["data"] != answer(b, 1)["data"]:
        raise RuntimeError(f"{a.name} and {b.name} disagree on the nested query")


def alternate(
    contenders: list[Target],
    sandbox: Sandbox,
    bodies: list[str],
    concurrency: int,
    seconds: float,
    rounds: int,
) -> list[Run]:
    """`rounds` rounds in which each contender is measured in turn (A B A B ...)."""
    runs = []
    for n in range(1, rounds + 1):
        for target in contenders:
            run = measure(target, sandbox, bodies, concurrency, seconds, n)
            runs.append(run)
            print(row(run), flush=True)
    return runs


def row(run: Run) -> str:
    return (
        f"{run.target:<11} c={run.concurrency:<3} round {run.round}: "
        f"{run.per_second:7.1f} req/s  p50 {run.p50_ms:7.1f} ms  p99 {run.p99_ms:7.1f} ms  "
        f"cpu {run.cpu_ms_per_query:6.2f} ms/q  calls {run.customer_calls_per_query:.2f}"
        f"+{run.promotion_calls_per_query:.2f}  failures {run.failures}"
    )


def summarise(
    runs: list[Run],
    rss: dict[str, float],
    cold: dict[str, list[dict[str, float]]],
    concurrencies: list[int],
    with_peer: bool,
) -> dict[str, Any]:
    rows = []
    # Rows measured on another target's process take its peak RSS.
    process = {"gateway x1": "gateway", "engine on": "gateway"}
    for name in ("gateway", "apollo", "engine on", "engine off", "gateway x1", "gateway x2"):
        for concurrency in sorted({r.concurrency for r in runs if r.target == name}):
            mine = [r for r in runs if r.target == name and r.concurrency == concurrency]
            rows.append(
                {
                    "target": name,
                    "concurrency": concurrency,
                    **{
                        key: round(statistics.median(getattr(r, key) for r in mine), 2)
                        for key in (
                            "per_second",
                            "p50_ms",
                            "p90_ms",
                            "p99_ms",
                            "customer_calls_per_query",
                            "promotion_calls_per_query",
                            "cpu_ms_per_query",
                            "sandbox_cpu_ms_per_query",
                        )
                    },
                    "failures": sum(r.failures for r in mine),
                    "peak_rss_mib": rss.get(process.get(name, name)),
                }
            )
    ratios: dict[str, Any] = {}
    for concurrency in concurrencies:
        if with_peer:
            ratios[f"throughput vs apollo, c={concurrency}"] = median_ratio(
                runs, "gateway", "apollo", concurrency, "per_second"
            )
            ratios[f"p50 vs apollo, c={concurrency}"] = median_ratio(
                runs, "gateway", "apollo", concurrency, "p50_ms"
            )
    for concurrency in sorted({r.concurrency for r in runs if r.target == "engine off"}):
        ratios[f"throughput engine on vs off, c={concurrency}"] = median_ratio(
            runs, "engine on", "engine off", concurrency, "per_second"
        )
        ratios[f"CPU per query engine off vs on, c={concurrency}"] = median_ratio(
            runs, "engine off", "engine on", concurrency, "cpu_ms_per_query"
        )
    top = max(concurrencies)
    ratios[f"two workers vs one, c={top}"] = median_ratio(
        runs, "gateway x2", "gateway x1", top, "per_second"
    )
    if with_peer and rss.get("apollo"):
        ratios["peak RSS vs apollo"] = round(rss["gateway"] / rss["apollo"], 2)
    cold_summary = {
        name: {
            "median_wall_ms": statistics.median(s["wall_ms"] for s in samples),
            "samples": samples,
        }
        for name, samples in cold.items()
        if samples
    }
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
        "ratios": ratios,
        "cold": {"upstream_latency_ms": COLD_LATENCY_MS, **cold_summary},
        "runs": [asdict(r) for r in runs],
    }


def median_ratio(runs: list[Run], a: str, b: str, concurrency: int, key: str) -> float | None:
    """The median over rounds of a/b, each round's pair measured back to back."""
    ratios = []
    for n in {r.round for r in runs}:
        first = [r for r in runs if r.target == a and r.concurrency == concurrency and r.round == n]
        second = [
            r for r in runs if r.target == b and r.concurrency == concurrency and r.round == n
        ]
        if first and second and getattr(second[0], key):
            ratios.append(getattr(first[0], key) / getattr(second[0], key))
    return round(statistics.median(ratios), 2) if ratios else None


def table(report: dict[str, Any]) -> str:
    lines = [
        "| target | c | req/s | p50 ms | p90 ms | p99 ms | customer calls/q | promotion calls/q "
        "| CPU ms/q | sandbox CPU ms/q | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["rows"]:
        lines.append(
            f"| {row['target']} | {row['concurrency']} | {row['per_second']:.1f} "
            f"| {row['p50_ms']:.1f} | {row['p90_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['customer_calls_per_query']:.2f} | {row['promotion_calls_per_query']:.2f} "
            f"| {row['cpu_ms_per_query']:.2f} | {row['sandbox_cpu_ms_per_query']:.2f} "
            f"| {row['peak_rss_mib']} |"
        )
    lines += ["", "| ratio | value |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in report["ratios"].items()]
    cold = report["cold"]
    lines += [
        "",
        f"Cold query, upstream latency {cold['upstream_latency_ms']} ms (target: 2 round trips "
        f"+ 10 ms = {2 * cold['upstream_latency_ms'] + 10} ms; the sandbox alone, called "
        f"directly the same way: {cold.get('sandbox_alone_ms')} ms):",
    ]
    for name in ("gateway", "apollo"):
        if name in cold:
            sample = cold[name]["samples"][0]
            lines.append(
                f"- {name}: median {cold[name]['median_wall_ms']:.1f} ms; "
                f"{sample['calls']} upstream calls for {sample['distinct_promotions']} distinct "
                f"promotions, then {sample['warm_calls']} warm"
            )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


if __name__ == "__main__":
    main()
