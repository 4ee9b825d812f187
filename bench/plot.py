"""`make bench-plot`: bench/results/bench.json drawn as bench/results/bench.png."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.run import RESULTS


def draw(report: dict[str, Any], out: Path) -> None:
    rows = report["rows"]
    names = [n for n in ("gateway", "apollo", "gateway x2") if any(r["target"] == n for r in rows)]
    concurrencies = sorted({r["concurrency"] for r in rows})
    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        mine = {r["concurrency"]: r for r in rows if r["target"] == name}
        xs = [j + i * width for j, c in enumerate(concurrencies) if c in mine]
        present = [c for c in concurrencies if c in mine]
        throughput.bar(xs, [mine[c]["per_second"] for c in present], width, label=name)
        latency.bar(xs, [mine[c]["p50_ms"] for c in present], width, label=name)
    for axis, title in ((throughput, "requests/s (higher is better)"), (latency, "p50 ms")):
        axis.set_xticks([j + 0.4 - width / 2 for j in range(len(concurrencies))])
        axis.set_xticklabels([f"c={c}" for c in concurrencies])
        axis.set_title(title)
        axis.legend()
    machine = report.get("machine", {})
    figure.suptitle(
        f"Nested customer query, 50 promotions, warm cache ({machine.get('cores')} cores, "
        f"{machine.get('cpu', '')})",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(out, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS / "bench.json")
    parser.add_argument("--out", type=Path, default=RESULTS / "bench.png")
    args = parser.parse_args()
    draw(json.loads(args.results.read_text()), args.out)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
