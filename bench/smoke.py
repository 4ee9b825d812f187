"""`make bench-smoke`: seconds long; checks the benchmark runs and the upstream-call floors.

On the sandbox and one gateway process: a cold nested query makes 1 customer call
plus one call per distinct promotion, the same query warm makes 1; then a short
wrk run completes without failures at 1 customer call and no promotion call per
query. Not part of `make test` (it needs wrk).
"""

from __future__ import annotations

from bench import targets
from bench.run import cold_query, measure, warm
from bench.workload import nested_bodies

CUSTOMERS = 40


def main() -> None:
    with targets.sandbox(CUSTOMERS) as sandbox:
        cold = cold_query(lambda: targets.gateway(sandbox.url), sandbox, 0)
        print(f"cold: {cold}")
        check(cold["calls"] == 1 + cold["distinct_promotions"], f"cold calls: {cold}")
        check(cold["warm_calls"] == 1, f"warm calls: {cold}")
        bodies = nested_bodies(CUSTOMERS)
        with targets.gateway(sandbox.url) as gateway:
            warm(gateway, bodies, seconds=2)
            run = measure(gateway, sandbox, bodies, concurrency=4, seconds=2, n=1)
        print(f"warm load: {run}")
        check(run.requests > 0, f"no request completed: {run}")
        check(run.failures == 0, f"failures under load: {run}")
        check(run.promotion_calls_per_query == 0, f"promotion calls when warm: {run}")
        # Requests cut off when wrk stops make the estimate approximate.
        check(0.9 <= run.customer_calls_per_query <= 1.1, f"customer calls: {run}")
    print("bench smoke: ok")


def check(condition: bool, problem: str) -> None:
    if not condition:
        raise SystemExit(f"bench smoke failed: {problem}")


if __name__ == "__main__":
    main()
