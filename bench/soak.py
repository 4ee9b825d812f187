"""`make soak`: minutes of mixed load against the gateway while upstream faults come and go.

Starts the sandbox upstream and the gateway (through its CLI, as in production)
on loopback ports, then drives a fixed number of concurrent clients for a fixed
time, rotating through the sandbox's customers, promotions and list pages. Every
30 s the sandbox switches to the next fault scenario. Reports p50/p99 latency,
HTTP statuses, GraphQL error codes, and the gateway's RSS sampled every 10 s.
Bounded in time and in concurrency; traffic goes to 127.0.0.1 only.

    python -m bench.soak --seconds 600 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.processes import rss_mib, sandbox_and_gateway
from sandbox import DEMO_AUTHORIZATION
from sandbox.data import build

RESULTS = Path(__file__).parent / "results"

WALLET = """
query Wallet($mobile: String!) {
  customer(identifierType: MOBILE, identifierValue: $mobile) {
    id
    promotions(first: 20) {
      totalCount
      nodes {
        promotionId usage { points times }
        restrictions { kind limit used }
        timelines { enrolledAt issuals { issuedAt } }
        promotion { status rulesets { name rules { name actions { name } } } }
      }
    }
  }
}
"""
PROMOTION = "query One($program: ID!, $id: ID!) { promotion(programId: $program, id: $id) { id name status rulesets { name } } }"
LIST = "query List($after: String) { promotions(first: 25, after: $after) { pageInfo { endCursor } nodes { id name } } }"

# (name, sandbox fault spec); each holds for one phase, then the faults are cleared.
SCENARIOS: list[tuple[str, dict[str, Any]]] = [
    ("healthy", {}),
    ("503 bursts", {"endpoint": {"promotion": {"status": 503, "times": 40}}}),
    ("latency 150 ms", {"latency_ms": 150}),
    ("429 Retry-After 2", {"endpoint": {"promotion": {"status": 429, "retry_after": "2"}}}),
    ("healthy", {}),
    ("hung ids", {"promotion": {str(200001 + i): {"hang_s": 30} for i in range(0, 100, 7)}}),
    (
        "html and truncated bodies",
        {
            "endpoint": {
                "promotion": {"body": "html", "times": 30},
                "promotion_list": {"body": "truncated", "times": 5},
            }
        },
    ),
    (
        "outage (500 everywhere)",
        {
            "endpoint": {
                e: {"status": 500} for e in ("promotion", "promotion_list", "customer_promotions")
            }
        },
    ),
    ("healthy", {}),
    ("slow drip", {"endpoint": {"promotion": {"drip_ms": 400, "times": 20}}}),
]


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    stale_responses: int = 0
    transport_errors: Counter[str] = field(default_factory=Counter)


def requests_mix(rng: random.Random) -> Iterator[dict[str, Any]]:
    dataset = build()
    mobiles = [c.mobile for c in dataset.customers]
    promotions = [(str(p.program_id), str(p.id)) for p in dataset.promotions.values()]
    cursors: list[str | None] = [None]
    while True:
        roll = rng.random()
        if roll < 0.6:
            yield {"query": WALLET, "variables": {"mobile": rng.choice(mobiles)}}
        elif roll < 0.9:
            program, promotion = rng.choice(promotions)
            yield {"query": PROMOTION, "variables": {"program": program, "id": promotion}}
        else:
            yield {"query": LIST, "variables": {"after": rng.choice(cursors)}}


async def drive(url: str, seconds: float, concurrency: int, tally: Tally) -> None:
    rng = random.Random(7)
    mix = requests_mix(rng)
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": DEMO_AUTHORIZATION}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:

        async def client() -> None:
            while time.monotonic() < stop_at:
                payload = next(mix)
                began = time.perf_counter()
                try:
                    response = await http.post("/graphql", json=payload, headers=headers)
                except httpx.HTTPError as error:
                    tally.transport_errors[type(error).__name__] += 1
                    continue
                tally.latencies_ms.append((time.perf_counter() - began) * 1000)
                tally.statuses[response.status_code] += 1
                body = response.json()
                for problem in body.get("errors") or ():
                    tally.codes[problem.get("extensions", {}).get("code", "NONE")] += 1
                if "stale" in (body.get("extensions") or {}):
                    tally.stale_responses += 1

        await asyncio.gather(*(client() for _ in range(concurrency)))


async def switch_faults(sandbox_url: str, seconds: float, phase_s: float, log: list[str]) -> None:
    async with httpx.AsyncClient(base_url=sandbox_url) as admin:
        began = time.monotonic()
        for index in range(int(seconds // phase_s) + 1):
            name, spec = SCENARIOS[index % len(SCENARIOS)]
            # Clear the previous scenario's faults (the counters stay).
            await admin.post("/__sandbox/faults", json={"clear": True, **spec})
            log.append(f"{time.monotonic() - began:6.0f} s  {name}")
            remaining = seconds - (time.monotonic() - began)
            if remaining <= 0:
                return
            await asyncio.sleep(min(phase_s, remaining))


async def sample_rss(pid: int, seconds: float, every_s: float, samples: list[float]) -> None:
    stop_at = time.monotonic() + seconds
    while True:
        samples.append(round(rss_mib(pid), 1))
        if time.monotonic() + every_s > stop_at:
            return
        await asyncio.sleep(every_s)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--phase-seconds", type=float, default=30)
    args = parser.parse_args()

    env = {
        "UPSTREAM_AUTHORIZATION": DEMO_AUTHORIZATION,
        "LOG_LEVEL": "ERROR",
        "GATEWAY_ENV": "production",
        # Short freshness so refreshes, stale serving and the breaker all get exercised.
        "CACHE_TTL_S": "5",
        "OPERATION_TIMEOUT_S": "3",
        "UPSTREAM_TIMEOUT_S": "1",
        # The sandbox is not rate limited: let the soak's load through.
        "UPSTREAM_RATE_LIMIT_PER_MIN": "1000000",
        "CLIENT_RATE_LIMIT_PER_MIN": "0",
    }
    tally = Tally()
    rss: list[float] = []
    phases: list[str] = []
    with sandbox_and_gateway(env) as (sandbox_url, gateway_url, gateway):

        async def run() -> None:
            await asyncio.gather(
                drive(gateway_url, args.seconds, args.concurrency, tally),
                switch_faults(sandbox_url, args.seconds, args.phase_seconds, phases),
                sample_rss(gateway.pid, args.seconds, 10, rss),
            )

        began = time.monotonic()
        asyncio.run(run())
        elapsed = time.monotonic() - began
        gateway.send_signal(signal.SIGTERM)
        exit_code = gateway.wait(timeout=30)

    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1),
        "concurrency": args.concurrency,
        "requests": len(tally.latencies_ms),
        "requestsPerSecond": round(len(tally.latencies_ms) / elapsed, 1),
        "p50Ms": round(percentile(tally.latencies_ms, 0.5), 1),
        "p99Ms": round(percentile(tally.latencies_ms, 0.99), 1),
        "maxMs": round(max(tally.latencies_ms, default=0), 1),
        "meanMs": round(statistics.fmean(tally.latencies_ms), 1) if tally.latencies_ms else 0,
        "httpStatuses": dict(sorted(tally.statuses.items())),
        "errorsByCode": dict(tally.codes.most_common()),
        "staleResponses": tally.stale_responses,
        "transportErrors": dict(tally.transport_errors),
        "rssMiB": rss,
        "rssStartMiB": rss[0] if rss else None,
        "rssEndMiB": rss[-1] if rss else None,
        "exitCode": exit_code,
        "phases": phases,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(report, indent=2) + "\n")
    print("\n".join(phases))
    for key, value in report.items():
        if key not in ("phases", "rssMiB"):
            print(f"{key:>18}: {value}")
    print(f"{'rssMiB':>18}: {rss}")
    if tally.statuses.get(500) or tally.transport_errors or exit_code != 0:
        raise SystemExit("soak: server errors, dropped requests or an unclean exit")


if __name__ == "__main__":
    main()
