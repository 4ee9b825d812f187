"""`make bench-versions`: this checkout's gateway against another version of it.

For a change that should not change speed (a refactoring, say): one sandbox
(latency 0, 1,000 customers of 50 promotions) serves both; each is warmed, then
wrk drives the nested customer query rotating through all customers, the two
alternating A B A B at each concurrency. The other version runs from a
temporary git worktree of `--baseline` (a commit), with this checkout's
installed packages. Prints each round and the median ratio of throughput, p50
and CPU per query (this checkout / the baseline), with the machine.

    python -m bench.versions --baseline 543d626 --seconds 8 --rounds 3 --concurrency 1,32
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path

from bench import targets
from bench.run import Run, agree, alternate, machine, median_ratio, warm
from bench.workload import nested_bodies

ROOT = Path(__file__).parents[1]


def worktree(stack: ExitStack, commit: str) -> Path:
    """A detached worktree of `commit`, removed when `stack` closes."""
    where = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gateway-"))) / "tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), commit],
        check=True,
        capture_output=True,
    )
    stack.callback(
        subprocess.run,
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)],
        check=False,
        capture_output=True,
    )
    return where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", required=True, help="the commit to compare against")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", default="1,32")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/versions.json")
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    bodies = nested_bodies(args.customers)
    runs: list[Run] = []
    with ExitStack() as stack:
        source = worktree(stack, args.baseline)
        sandbox = stack.enter_context(targets.sandbox(args.customers))
        this = stack.enter_context(targets.gateway(sandbox.url, name="this"))
        baseline = stack.enter_context(targets.gateway(sandbox.url, name="baseline", source=source))
        agree(this, baseline)
        for target in (this, baseline):
            warm(target, bodies)
        for concurrency in concurrencies:
            runs += alternate(
                [baseline, this], sandbox, bodies, concurrency, args.seconds, args.rounds
            )
    ratios = {
        f"{key} this/baseline, c={c}": median_ratio(runs, "this", "baseline", c, key)
        for c in concurrencies
        for key in ("per_second", "p50_ms", "cpu_ms_per_query")
    }
    report = {
        "baseline": args.baseline,
        "this": subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip(),
        "machine": machine(),
        "ratios": ratios,
        "runs": [asdict(r) for r in runs],
    }
    print(json.dumps({k: report[k] for k in ("baseline", "this", "machine", "ratios")}, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
