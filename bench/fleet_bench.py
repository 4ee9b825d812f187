"""`make bench-fleet` (also run by `make bench`): three replicas sharing a Redis
against three without, on one sandbox, all on 127.0.0.1.

Both fleets run at once (three gateway processes each, production mode, one worker
each, `FLEET_MAX_PROCESSES=3`); only the one being measured gets load. The Redis
fleet shares one `redis-server`, one `REDIS_KEY_PREFIX` and one `CACHE_KEY_SECRET`.
Every comparison alternates the fleets, A B A B, for `--rounds` rounds:

1. **Cold by-id calls.** Per round, `--cold-promotions` promotions no replica has
   asked for yet, one after another, each asked `--cold-copies` times at once by
   `promotion(programId, id)` queries spread round-robin over the replicas, each on
   a fresh connection,
   with the sandbox at `--cold-latency-ms`: the sandbox's by-id calls per distinct
   promotion (target: 1.0 with Redis; without, each replica fetches its own: 3.0).
2. **Persisted queries.** Per round, `--apq-queries` new documents registered through
   APQ on replica 1, then asked by hash alone on replicas 2 and 3: the share found.
3. **Warm throughput.** Each fleet warmed: the nested query on the three cold
   replicas at once (by-id calls per promotion fetched, Redis failures and GraphQL
   errors reported), then, once every replica answers without errors, the nested
   and by-id queries again. Then, per query, one wrk per replica at once
   (`--connections` each, `--seconds`), A B A B: requests per second (the three
   summed), p50 (the median of the three), upstream calls and CPU per query. wrk
   keeps its connections and cannot change hosts, and a Python load generator would
   take the two cores the gateways need; one wrk per replica is how a load balancer
   spreads kept-alive clients. Target: Redis costs at most 10% of throughput.
4. **The quota held.** Two fresh fleets, with `UPSTREAM_RATE_LIMIT_PER_MIN` =
   `--quota`, driven at once for `--quota-seconds` by uncached customer lookups
   (three loops per replica, a refused request retried after 50 ms), the Redis fleet
   with the demo credential, the other with brand B's (each credential has its own
   quota; the count is the limiter's, not the CPU's, so they share the minute): the
   vendor calls in the busiest 60 s window (sandbox clock), and each replica's own
   (its `upstream_calls_total`). Target: at most the quota with Redis.

The client rate limit is on (at 10^9 a minute: never refusing), as deployed: with
Redis each replica takes a client's tokens in batches, a script per batch
(`--client-rate-limit 0`: off). Redis failures
(commands timed out, failed, or skipped by the open breaker) and GraphQL errors are
counted from each replica's /metrics, since wrk sees HTTP statuses only. Prints a table and writes bench/results/fleet.json.

    python -m bench.fleet_bench --seconds 5 --rounds 2 --connections 4 --quota-seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import targets, wrk
from bench.processes import cpu_seconds, free_port, stop, wait_until_up
from bench.redis_server import RedisServer
from bench.run import RESULTS, machine
from bench.targets import HEADERS, Sandbox
from bench.workload import nested_bodies
from sandbox import BRAND_B_AUTHORIZATION
from sandbox.data import bench_mobile, build

REPLICAS = 3
WITH, WITHOUT = "with Redis", "without Redis"
BY_ID = """query PromotionById($programId: ID!, $id: ID!) {
  promotion(programId: $programId, id: $id) {
    id name status startDate endDate
    rulesets { name rules { name expression actions { name properties } } }
  }
}"""
CUSTOMER = """query CustomerId($mobile: String!) {
  customer(identifierType: MOBILE, identifierValue: $mobile) { id }
}"""
# Every promotion of the sandbox as (program id, promotion id), by id; the
# benchmark customers hold the generated ones (ids from 200001).
PROMOTIONS = [
    (str(p.program_id), str(p.id)) for p in sorted(build().promotions.values(), key=lambda p: p.id)
]
GENERATED = [p for p in PROMOTIONS if int(p[1]) >= 200_001]
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


@dataclass(frozen=True)
class Fleet:
    name: str
    urls: list[str]  # each replica's base URL
    pids: list[int]

    def graphql(self, replica: int) -> str:
        return f"{self.urls[replica % len(self.urls)]}/graphql"


@dataclass(frozen=True)
class Run:
    fleet: str
    query: str
    round: int
    per_second: float  # the replicas' wrk runs summed
    p50_ms: float  # the median of the replicas' p50s
    p99_ms: float  # the highest of the replicas' p99s
    requests: int
    failures: int
    customer_calls_per_query: float
    promotion_calls_per_query: float
    cpu_ms_per_query: float  # the three gateways together
    redis_cpu_ms_per_query: float
    redis_failures: int  # commands timed out, failed or skipped, on the three replicas
    graphql_errors: dict[str, int]  # by code (wrk counts HTTP statuses only)


# -- processes ------------------------------------------------------------------------


def fleet_specs(upstream: str, redis_url: str, **more: str) -> dict[str, dict[str, str]]:
    """The two fleets' environments: the same but for Redis (`more` added to both)."""
    secret = secrets.token_hex(32)
    return {
        WITH: fleet_environment(upstream, redis_url, secret, **more),
        WITHOUT: fleet_environment(upstream, None, secret, **more),
    }


def fleet_environment(
    upstream: str, redis_url: str | None, secret: str, **more: str
) -> dict[str, str]:
    environment = {
        **targets.gateway_environment(upstream),
        "WEB_CONCURRENCY": "1",
        "FLEET_MAX_PROCESSES": str(REPLICAS),
        "CACHE_KEY_SECRET": secret,
        "LOG_LEVEL": "ERROR",  # Redis failures are counted from /metrics
        **more,
    }
    if redis_url is not None:
        environment["REDIS_URL"] = redis_url
        environment["REDIS_KEY_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}"  # a cold fleet
    return environment


@contextmanager
def fleets(specs: dict[str, dict[str, str]]) -> Iterator[dict[str, Fleet]]:
    """A fleet of REPLICAS gateway processes per name, all started at once (each takes
    seconds to import and build its schema), stopped when the block ends."""
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("UPSTREAM_", "REDIS_", "CACHE_"))
    }
    with ExitStack() as stack:
        started: dict[str, Fleet] = {}
        for name, environment in specs.items():
            ports = [free_port() for _ in range(REPLICAS)]
            pids = []
            for port in ports:
                process = subprocess.Popen(
                    [sys.executable, "-m", "gateway"],
                    env={**inherited, **environment, "PORT": str(port)},
                    stdout=subprocess.DEVNULL,
                )
                stack.callback(stop, process)
                pids.append(process.pid)
            started[name] = Fleet(name, [f"http://127.0.0.1:{port}" for port in ports], pids)
        for fleet in started.values():
            for url in fleet.urls:
                wait_until_up(f"{url}/healthz", timeout_s=90)
        yield started


def sandbox_stats(sandbox: Sandbox) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(f"{sandbox.url}/__sandbox/stats", timeout=30).json()
    return stats


def sandbox_admin(sandbox: Sandbox, path: str, body: dict[str, Any] | None = None) -> None:
    httpx.post(f"{sandbox.url}/__sandbox/{path}", json=body or {}, timeout=30).raise_for_status()


def samples(url: str, name: str, label: str) -> dict[str, int]:
    """The counter `name` of the replica at `url`, summed by one of its labels."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    counts: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                key = sample.labels.get(label, "")
                counts[key] = counts.get(key, 0) + int(sample.value)
    return counts


@dataclass(frozen=True)
class Troubles:
    """What went wrong on a fleet's replicas so far: Redis commands that timed out,
    failed or were skipped (breaker open), and GraphQL errors by code."""

    redis: int
    errors: dict[str, int]

    @classmethod
    def of(cls, fleet: Fleet) -> Troubles:
        redis = errors = 0
        codes: dict[str, int] = {}
        for url in fleet.urls:
            outcomes = samples(url, "redis_commands_total", "outcome")
            redis += sum(count for outcome, count in outcomes.items() if outcome != "ok")
            for code, count in samples(url, "graphql_errors_total", "code").items():
                codes[code] = codes.get(code, 0) + count
                errors += count
        return cls(redis, codes)

    def since(self, before: Troubles) -> dict[str, Any]:
        errors = {
            code: count - before.errors.get(code, 0)
            for code, count in self.errors.items()
            if count > before.errors.get(code, 0)
        }
        return {"redis_failures": self.redis - before.redis, "graphql_errors": errors}


def prime(fleet: Fleet, query: str = CUSTOMER) -> None:
    """A few requests on each replica, a connection to Redis opened (by default customer
    lookups, which cache nothing of promotions)."""
    for replica in range(REPLICAS):
        for n in range(3):
            body = {"query": query, "variables": {"mobile": bench_mobile(n)}}
            httpx.post(fleet.graphql(replica), json=body, headers=HEADERS, timeout=30)


# -- 1. cold by-id calls --------------------------------------------------------------


def by_id_body(program_id: str, promotion_id: str, document: str = BY_ID) -> dict[str, Any]:
    return {"query": document, "variables": {"programId": program_id, "id": promotion_id}}


async def post(url: str, body: dict[str, Any], headers: dict[str, str] = HEADERS) -> dict[str, Any]:
    """One request on a connection of its own (closed after it), so that a replica is
    chosen per request, as a load balancer would."""
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(url, json=body, headers=headers)
    answer: dict[str, Any] = response.json()
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
    return answer


def cold_by_id(
    fleet: Fleet, sandbox: Sandbox, promotions: Sequence[tuple[str, str]], copies: int
) -> dict[str, Any]:
    """Promotion after promotion, each asked `copies` times at once, request k of
    promotion i on replica (i + k) mod 3: by-id calls per distinct promotion, from
    the sandbox's counters."""
    before = sandbox_stats(sandbox)["callsByPromotion"]
    troubles = Troubles.of(fleet)

    async def ask_all() -> list[dict[str, Any]]:
        answers: list[dict[str, Any]] = []
        for i, promotion in enumerate(promotions):
            answers += await asyncio.gather(
                *(post(fleet.graphql(i + k), by_id_body(*promotion)) for k in range(copies))
            )
        return answers

    answers = asyncio.run(ask_all())
    failed = [a for a in answers if a.get("errors") or not (a.get("data") or {}).get("promotion")]
    after = sandbox_stats(sandbox)["callsByPromotion"]
    calls = sum(after.get(p, 0) - before.get(p, 0) for _, p in promotions)
    return {
        "promotions": len(promotions),
        "requests": len(answers),
        "failed": len(failed),
        "calls": calls,
        "calls_per_promotion": round(calls / len(promotions), 2),
        **Troubles.of(fleet).since(troubles),
    }


# -- 2. persisted queries -------------------------------------------------------------


def apq_across(fleet: Fleet, count: int, tag: str) -> dict[str, Any]:
    """`count` new documents registered on replica 1, then asked by hash alone on the
    others: how many of those were found."""

    async def run() -> tuple[int, int]:
        found = asked = 0
        for n in range(count):
            # A document of its own (no upstream call: the cold promotions stay cold).
            document = f"query Persisted{n} {{ __typename }}\n# fleet bench {tag}"
            digest = hashlib.sha256(document.encode()).hexdigest()
            extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
            await post(fleet.graphql(0), {"query": document, "extensions": extensions})
            hash_only = {"extensions": extensions}
            for replica in range(1, REPLICAS):
                answer = await post(fleet.graphql(replica), hash_only)
                codes = {e.get("extensions", {}).get("code") for e in answer.get("errors") or []}
                asked += 1
                if NOT_FOUND not in codes:
                    found += 1
        return found, asked

    found, asked = asyncio.run(run())
    return {"asked": asked, "found": found, "found_pct": round(100 * found / asked, 1)}


# -- 3. warm throughput ---------------------------------------------------------------


def wrk_each(fleet: Fleet, bodies: list[str], connections: int, seconds: float) -> list[wrk.Load]:
    """One wrk per replica, all at once."""
    with ThreadPoolExecutor(max_workers=REPLICAS) as pool:
        loads = list(
            pool.map(
                lambda replica: wrk.run(
                    fleet.graphql(replica),
                    bodies,
                    HEADERS,
                    connections=connections,
                    seconds=seconds,
                ),
                range(REPLICAS),
            )
        )
    failed = [load for load in loads if load.errors or load.non_2xx]
    if failed:
        raise RuntimeError(f"{fleet.name}: failures under load: {failed}")
    return loads


def warm(
    fleet: Fleet,
    sandbox: Sandbox,
    nested: list[str],
    by_id: list[str],
    connections: int,
    seconds: float,
) -> dict[str, Any]:
    """Every promotion cached in every replica. The nested query on the three cold
    replicas at once (`connections` each, as measured): by-id calls per promotion
    fetched, and what went wrong. Then, once every replica answers without errors
    again, the nested query and the by-id query once more: warm."""
    before = sandbox_stats(sandbox)["callsByPromotion"]
    troubles = Troubles.of(fleet)
    wrk_each(fleet, nested, connections, seconds)
    after = sandbox_stats(sandbox)["callsByPromotion"]
    cold = Troubles.of(fleet).since(troubles)
    fetched = {p: after[p] - before.get(p, 0) for p in after if after[p] > before.get(p, 0)}
    calls = sum(fetched.values())
    settled_s = settle(fleet, [nested[0], by_id[0]])
    troubles = Troubles.of(fleet)
    wrk_each(fleet, nested, connections, seconds)
    wrk_each(fleet, by_id, connections, max(1, round(seconds / 2)))
    return {
        "promotions": len(fetched),
        "calls": calls,
        "calls_per_promotion": round(calls / len(fetched), 2) if fetched else None,
        **cold,
        "settled_after_s": settled_s,
        "second_pass": Troubles.of(fleet).since(troubles),
    }


def settle(fleet: Fleet, bodies: list[str], limit_s: float = 30) -> float:
    """Seconds until every replica answers `bodies` without errors (a replica whose
    Redis breaker opened may refuse upstream calls for a while: the quota's fail-safe)."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        answers = [
            httpx.post(fleet.graphql(replica), content=body, headers=HEADERS, timeout=30)
            for replica in range(REPLICAS)
            for body in bodies
        ]
        if all(a.status_code == 200 and not a.json().get("errors") for a in answers):
            return round(time.monotonic() - started, 1)
        time.sleep(0.5)
    raise RuntimeError(f"{fleet.name} still answers errors after {limit_s:g} s")


def measure(
    fleet: Fleet,
    redis_pid: int | None,
    sandbox: Sandbox,
    query: str,
    bodies: list[str],
    connections: int,
    seconds: float,
    n: int,
) -> Run:
    calls = sandbox.calls()
    cpu = sum(cpu_seconds(pid) for pid in fleet.pids)
    redis_cpu = cpu_seconds(redis_pid) if redis_pid else 0.0
    troubles = Troubles.of(fleet)
    loads = wrk_each(fleet, bodies, connections, seconds)
    went_wrong = Troubles.of(fleet).since(troubles)
    spent = sum(cpu_seconds(pid) for pid in fleet.pids) - cpu
    redis_spent = (cpu_seconds(redis_pid) - redis_cpu) if redis_pid else 0.0
    after = sandbox.calls()
    requests = sum(load.requests for load in loads)
    # Closed loops: each connection has one request in flight when wrk stops.
    queries = max(requests + connections * REPLICAS, 1)

    def per_query(endpoint: str) -> float:
        return round((after.get(endpoint, 0) - calls.get(endpoint, 0)) / queries, 3)

    return Run(
        fleet=fleet.name,
        query=query,
        round=n,
        per_second=round(sum(load.per_second for load in loads), 1),
        p50_ms=round(statistics.median(load.p50_ms for load in loads), 2),
        p99_ms=round(max(load.p99_ms for load in loads), 2),
        requests=requests,
        failures=sum(load.errors + load.non_2xx for load in loads),
        customer_calls_per_query=per_query("customer_promotions"),
        promotion_calls_per_query=per_query("promotion"),
        cpu_ms_per_query=round(spent * 1000 / queries, 2),
        redis_cpu_ms_per_query=round(redis_spent * 1000 / queries, 3),
        redis_failures=went_wrong["redis_failures"],
        graphql_errors=went_wrong["graphql_errors"],
    )


def agree(fleets: Sequence[Fleet], bodies: list[str]) -> None:
    """Stop unless every replica of both fleets gives the same data (read back from
    Redis or not)."""
    for body in (bodies[1], bodies[-1]):
        seen = set()
        for fleet in fleets:
            for replica in range(REPLICAS):
                answer = httpx.post(
                    fleet.graphql(replica), content=body, headers=HEADERS, timeout=30
                )
                data = answer.json()
                if answer.status_code != 200 or data.get("errors"):
                    raise RuntimeError(f"{fleet.name} answered {answer.text[:300]}")
                seen.add(json.dumps(data["data"], sort_keys=True))
        if len(seen) != 1:
            raise RuntimeError("the replicas disagree on the same query")


# -- 4. the quota ---------------------------------------------------------------------


def upstream_calls(url: str) -> int:
    """This replica's customer calls so far (its `upstream_calls_total`)."""
    counts = samples(url, "upstream_calls_total", "endpoint")
    return counts.get("customer_promotions", 0)


async def overload(
    fleet: Fleet, authorization: str, seconds: float, customers: int
) -> dict[str, Any]:
    """Three loops per replica asking for customers (never cached) for `seconds`."""
    headers = {**HEADERS, "Authorization": authorization}
    answered = refused = other = 0

    async def loop(client: httpx.AsyncClient, url: str, turn: int) -> None:
        nonlocal answered, refused, other
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            turn += 1
            body = {"query": CUSTOMER, "variables": {"mobile": bench_mobile(turn % customers)}}
            response = await client.post(f"{url}/graphql", json=body, headers=headers)
            errors: list[dict[str, Any]] = [{}]  # an HTTP error: not an answer
            if response.status_code == 200:
                errors = response.json().get("errors") or []
            codes = {e.get("extensions", {}).get("code") for e in errors}
            if not errors:
                answered += 1
            elif codes == {"RATE_LIMITED"}:
                refused += 1
            else:
                other += 1
            if errors:
                await asyncio.sleep(0.05)  # refused: try again shortly

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(
            *(
                loop(client, url, 37 * i + 11 * j)
                for i, url in enumerate(fleet.urls)
                for j in range(3)
            )
        )
    return {"answered": answered, "rate_limited": refused, "other_failures": other}


def busiest_window(times: list[float], window_s: float) -> int:
    """The most of `times` within any `window_s` seconds."""
    times, most, first = sorted(times), 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= window_s:
            first += 1
        most = max(most, last - first + 1)
    return most


def quota_held(
    sandbox: Sandbox, specs: dict[str, dict[str, str]], seconds: float, customers: int
) -> dict[str, Any]:
    """Both fleets (`specs`) overloaded at once, each with its own credential."""
    credentials = {
        WITH: ("demo", HEADERS["Authorization"]),
        WITHOUT: ("brand-b", BRAND_B_AUTHORIZATION),
    }
    with fleets(specs) as started:
        for fleet in started.values():
            prime(fleet, "{ __typename }")  # no vendor call: the quota untouched
        sandbox_admin(sandbox, "reset")  # the sandbox keeps the first 5,000 calls' times
        calls_before = {
            name: [upstream_calls(url) for url in f.urls] for name, f in started.items()
        }
        troubles = {name: Troubles.of(f) for name, f in started.items()}

        async def both() -> list[dict[str, Any]]:
            return await asyncio.gather(
                *(
                    overload(started[name], credentials[name][1], seconds, customers)
                    for name in specs
                )
            )

        loads = dict(zip(specs, asyncio.run(both()), strict=True))
        went_wrong = {name: Troubles.of(f).since(troubles[name]) for name, f in started.items()}
        per_replica = {
            name: [upstream_calls(url) - calls_before[name][i] for i, url in enumerate(f.urls)]
            for name, f in started.items()
        }
    requests = sandbox_stats(sandbox)["requests"]
    result = {}
    for name, (tenant, _) in credentials.items():
        times = [
            r["started"]
            for r in requests
            if r["endpoint"] == "customer_promotions" and r["tenant"] == tenant
        ]
        result[name] = {
            "vendor_calls": len(times),
            "busiest_60s": busiest_window(times, 60.0),
            "per_replica": per_replica[name],
            **loads[name],
            "redis_failures": went_wrong[name]["redis_failures"],
        }
    quota = int(specs[WITH]["UPSTREAM_RATE_LIMIT_PER_MIN"])
    return {"quota_per_min": quota, "seconds": seconds, **result}


# -- the whole section ----------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="each warm throughput run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4, help="per replica")
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--warm-seconds", type=float, default=4)
    parser.add_argument("--cold-promotions", type=int, default=20)
    parser.add_argument("--cold-copies", type=int, default=6)
    parser.add_argument("--cold-latency-ms", type=int, default=50)
    parser.add_argument("--apq-queries", type=int, default=10)
    parser.add_argument("--redis-timeout-ms", type=int, default=100, help="REDIS_TIMEOUT_MS")
    parser.add_argument(
        "--client-rate-limit",
        type=int,
        default=10**9,
        help="CLIENT_RATE_LIMIT_PER_MIN (default: on, never refusing; 0: off)",
    )
    parser.add_argument("--quota", type=int, default=120, help="calls a minute")
    parser.add_argument("--quota-seconds", type=float, default=60, help="0: not measured")
    parser.add_argument("--out", type=Path, default=RESULTS / "fleet.json")
    args = parser.parse_args()
    if args.rounds < 1 or args.rounds * args.cold_promotions > len(PROMOTIONS):
        parser.error(f"rounds x cold promotions must be 1..{len(PROMOTIONS)}")
    started_at = time.monotonic()
    nested = nested_bodies(args.customers)
    by_id = [json.dumps(by_id_body(*p), separators=(",", ":")) for p in GENERATED]
    cold: dict[str, list[dict[str, Any]]] = {WITH: [], WITHOUT: []}
    apq: dict[str, list[dict[str, Any]]] = {WITH: [], WITHOUT: []}
    warmed: dict[str, dict[str, Any]] = {}
    runs: list[Run] = []
    with targets.sandbox(args.customers) as sandbox, RedisServer() as redis:
        redis_timeout = {
            "REDIS_TIMEOUT_MS": str(args.redis_timeout_ms),
            "CLIENT_RATE_LIMIT_PER_MIN": str(args.client_rate_limit),
        }
        specs = fleet_specs(sandbox.url, redis.url, **redis_timeout)
        with fleets(specs) as started:
            print(f"fleets up in {time.monotonic() - started_at:.0f} s", flush=True)
            for fleet in started.values():
                prime(fleet)
            for n in range(args.rounds):
                chosen = PROMOTIONS[n * args.cold_promotions : (n + 1) * args.cold_promotions]
                for name, fleet in started.items():
                    sandbox_admin(sandbox, "faults", {"latency_ms": args.cold_latency_ms})
                    cold[name].append(cold_by_id(fleet, sandbox, chosen, args.cold_copies))
                    sandbox_admin(sandbox, "faults", {"latency_ms": 0})
                    apq[name].append(apq_across(fleet, args.apq_queries, f"{name} {n}"))
                    print(f"{name:<14} round {n + 1}: cold by id {cold[name][-1]}", flush=True)
                    print(f"{name:<14} round {n + 1}: APQ {apq[name][-1]}", flush=True)
            for name, fleet in started.items():
                warmed[name] = warm(
                    fleet, sandbox, nested, by_id, args.connections, args.warm_seconds
                )
                print(f"{name:<14} warm-up: {warmed[name]}", flush=True)
            agree(list(started.values()), nested)
            redis_pids = {WITH: redis.pid, WITHOUT: None}
            for query, bodies in (("nested", nested), ("by id", by_id)):
                for n in range(1, args.rounds + 1):
                    for name, fleet in started.items():
                        run = measure(
                            fleet,
                            redis_pids[name],
                            sandbox,
                            query,
                            bodies,
                            args.connections,
                            args.seconds,
                            n,
                        )
                        runs.append(run)
                        print(row(run), flush=True)
        quota = None
        if args.quota_seconds > 0:
            print(f"the quota: both fleets overloaded for {args.quota_seconds:g} s", flush=True)
            limited = fleet_specs(
                sandbox.url,
                redis.url,
                UPSTREAM_RATE_LIMIT_PER_MIN=str(args.quota),
                **redis_timeout,
            )
            quota = quota_held(sandbox, limited, args.quota_seconds, args.customers)
    report = summarise(runs, cold, apq, warmed, quota)
    report["section_seconds"] = round(time.monotonic() - started_at)
    report["config"] = {**vars(args), "out": str(args.out)}
    report["machine"] = machine()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\n{report['section_seconds']} s; written to {args.out}")


def row(run: Run) -> str:
    return (
        f"{run.fleet:<14} {run.query:<6} round {run.round}: {run.per_second:7.1f} req/s  "
        f"p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:7.1f} ms  cpu {run.cpu_ms_per_query:6.2f} "
        f"ms/q  calls {run.customer_calls_per_query:.2f}+{run.promotion_calls_per_query:.2f}  "
        f"failures {run.failures}  errors {run.graphql_errors or 0}  "
        f"Redis failures {run.redis_failures}"
    )


def median_ratio(runs: list[Run], query: str, key: str) -> float | None:
    """The median over rounds of with/without, each round's pair back to back."""
    ratios = []
    for n in sorted({r.round for r in runs}):
        pair = {r.fleet: getattr(r, key) for r in runs if r.query == query and r.round == n}
        if pair.get(WITH) is not None and pair.get(WITHOUT):
            ratios.append(pair[WITH] / pair[WITHOUT])
    return round(statistics.median(ratios), 2) if ratios else None


def summarise(
    runs: list[Run],
    cold: dict[str, list[dict[str, Any]]],
    apq: dict[str, list[dict[str, Any]]],
    warmed: dict[str, dict[str, Any]],
    quota: dict[str, Any] | None,
) -> dict[str, Any]:
    rows = []
    for query in ("nested", "by id"):
        for name in (WITH, WITHOUT):
            mine = [r for r in runs if r.fleet == name and r.query == query]
            rows.append(
                {
                    "fleet": name,
                    "query": query,
                    **{
                        key: round(statistics.median(getattr(r, key) for r in mine), 3)
                        for key in (
                            "per_second",
                            "p50_ms",
                            "p99_ms",
                            "customer_calls_per_query",
                            "promotion_calls_per_query",
                            "cpu_ms_per_query",
                            "redis_cpu_ms_per_query",
                        )
                    },
                    "failures": sum(r.failures for r in mine),
                    "graphql_errors": sum(sum(r.graphql_errors.values()) for r in mine),
                    "redis_failures": sum(r.redis_failures for r in mine),
                }
            )
    counts = {}
    for name in (WITH, WITHOUT):
        calls = sum(c["calls"] for c in cold[name])
        promotions = sum(c["promotions"] for c in cold[name])
        found = sum(a["found"] for a in apq[name])
        asked = sum(a["asked"] for a in apq[name])
        counts[name] = {
            "cold_by_id_calls_per_promotion": round(calls / promotions, 2),
            "cold_by_id_rounds": [c["calls_per_promotion"] for c in cold[name]],
            "warm_up_calls_per_promotion": warmed[name]["calls_per_promotion"],
            "warm_up_redis_failures": warmed[name]["redis_failures"],
            "warm_up_errors": sum(warmed[name]["graphql_errors"].values()),
            "apq_found_pct": round(100 * found / asked, 1),
            "apq_found": f"{found}/{asked}",
        }
    ratios = {
        f"{key} with/without Redis, {query}": median_ratio(runs, query, key)
        for query in ("nested", "by id")
        for key in ("per_second", "p50_ms")
    }
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
        "counts": counts,
        "ratios": ratios,
        "quota": quota,
        "cold": cold,
        "apq": apq,
        "warm_up": warmed,
        "runs": [asdict(r) for r in runs],
    }


def table(report: dict[str, Any]) -> str:
    counts = report["counts"]
    lines = [
        f"| measure | {WITH} | {WITHOUT} | target |",
        "|---|---:|---:|---|",
        "| cold by-id calls per distinct promotion (rounds: "
        + ", ".join(
            "/".join(str(c) for c in pair)
            for pair in zip(
                counts[WITH]["cold_by_id_rounds"], counts[WITHOUT]["cold_by_id_rounds"], strict=True
            )
        )
        + f") | {counts[WITH]['cold_by_id_calls_per_promotion']:.2f} "
        f"| {counts[WITHOUT]['cold_by_id_calls_per_promotion']:.2f} | 1.0 with Redis |",
        f"| by-id calls per promotion fetched, three cold replicas under the nested query "
        f"at once (Redis failures; GraphQL errors) "
        f"| {counts[WITH]['warm_up_calls_per_promotion']} "
        f"({counts[WITH]['warm_up_redis_failures']}; {counts[WITH]['warm_up_errors']}) "
        f"| {counts[WITHOUT]['warm_up_calls_per_promotion']} "
        f"({counts[WITHOUT]['warm_up_redis_failures']}; {counts[WITHOUT]['warm_up_errors']}) "
        f"| 1.0 with Redis |",
        f"| APQ registered on replica 1, found by hash on 2 and 3 "
        f"| {counts[WITH]['apq_found_pct']}% ({counts[WITH]['apq_found']}) "
        f"| {counts[WITHOUT]['apq_found_pct']}% ({counts[WITHOUT]['apq_found']}) "
        f"| 100% with Redis |",
    ]
    quota = report["quota"]
    if quota is not None:
        lines.append(
            f"| vendor calls in the busiest 60 s of {quota['seconds']:g} s overload, quota "
            f"{quota['quota_per_min']}/min (per replica) "
            f"| {quota[WITH]['busiest_60s']} ({', '.join(map(str, quota[WITH]['per_replica']))}) "
            f"| {quota[WITHOUT]['busiest_60s']} "
            f"({', '.join(map(str, quota[WITHOUT]['per_replica']))}) "
            f"| at most {quota['quota_per_min']} with Redis |"
        )
    lines += [
        "",
        "| fleet | query | req/s | p50 ms | p99 ms | customer calls/q | by-id calls/q "
        "| gateways CPU ms/q | Redis CPU ms/q | GraphQL errors | Redis failures |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['fleet']} | {r['query']} | {r['per_second']:.1f} | {r['p50_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['customer_calls_per_query']:.2f} "
            f"| {r['promotion_calls_per_query']:.2f} | {r['cpu_ms_per_query']:.2f} "
            f"| {r['redis_cpu_ms_per_query']:.3f} | {r['graphql_errors']} "
            f"| {r['redis_failures']} |"
        )
    lines += ["", "| ratio (median of A/B pairs) | value |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in report["ratios"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
