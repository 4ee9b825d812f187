"""`make bench-profile`: where one gateway process spends its time on the nested query.

Starts the sandbox and the gateway, warms it, drives the nested query with wrk and
samples the gateway with py-spy. Each sample is charged to the innermost frame that
names a part of the request's path (first match from the inside out), so the table
adds up to 100%.

    python -m bench.profile --seconds 15
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from bench import targets, wrk
from bench.run import warm
from bench.targets import HEADERS
from bench.workload import nested_bodies

# (part, substrings of a frame that belong to it), innermost match wins.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("records -> strawberry objects (schema/views.py)", ("schema/views.py",)),
    (
        "upstream JSON -> records (_parsing.py, _usual_shape.py)",
        ("upstream/_parsing.py", "upstream/_usual_shape.py"),
    ),
    (
        "compiled plain subtrees (schema/_engine)",
        ("schema/_engine/", "<compiled "),
    ),
    ("JSON encode/decode (orjson)", ("jsonio.py",)),
    ("upstream HTTP client (httpx, aiohttp)", ("httpx/", "httpcore/", "aiohttp/", "yarl/")),
    ("loaders and caches", ("gateway/loaders/", "gateway/cache/", "aiodataloader")),
    ("resolvers", ("resolvers/", "schema/customer.py", "schema/promotion.py", "schema/query.py")),
    ("GraphQL parse and validate", ("graphql/language", "graphql/validation")),
    ("graphql-core executor", ("graphql/execution", "strawberry/schema/schema_converter.py")),
    ("strawberry request handling", ("strawberry/",)),
    ("gateway middleware, metrics, logs", ("gateway/", "prometheus_client", "logging/")),
    ("HTTP server (uvicorn, starlette)", ("uvicorn/", "starlette/", "httptools")),
    ("event loop", ("asyncio/", "uvloop", "selectors.py")),
]


def charge(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        for part, needles in PARTS:
            if any(needle in frame for needle in needles):
                return part
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="also write py-spy's raw samples here")
    args = parser.parse_args()
    bodies = nested_bodies(1000)
    with (
        targets.sandbox(1000) as sandbox,
        targets.gateway(sandbox.url) as gateway,
        tempfile.TemporaryDirectory() as directory,
    ):
        warm(gateway, bodies)
        raw = Path(directory, "samples.txt")
        load = threading.Thread(
            target=wrk.run,
            args=(gateway.url, bodies, HEADERS),
            kwargs={"connections": args.concurrency, "seconds": args.seconds + 2},
        )
        load.start()
        py_spy = Path(sys.executable).with_name("py-spy")
        command = [str(py_spy), "record", "--pid", str(gateway.pid), "--format", "raw"]
        # --gil: only the thread running Python; idle pool threads are not CPU.
        command += ["--duration", str(int(args.seconds)), "--rate", "200"]
        command += ["--full-filenames", "--gil"]
        command += ["--output", str(raw)]
        subprocess.run(command, check=True, capture_output=True)
        load.join()
        if args.keep is not None:
            args.keep.write_text(raw.read_text())
        counts: Counter[str] = Counter()
        for line in raw.read_text().splitlines():
            stack, _, samples = line.rpartition(" ")
            counts[charge(stack)] += int(samples)
    total = sum(counts.values())
    print(f"| part of the request | share of samples ({total} samples) |")
    print("|---|---:|")
    for part, charged in counts.most_common():
        print(f"| {part} | {100 * charged / total:.1f}% |")


if __name__ == "__main__":
    main()
