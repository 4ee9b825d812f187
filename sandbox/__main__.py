"""`python -m sandbox --port 8081`: serve the sandbox upstream."""

from __future__ import annotations

import argparse
import os
import threading
import time

import uvicorn

from sandbox.app import Sandbox, create_app
from sandbox.data import build


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--bench-customers",
        type=int,
        default=0,
        help="add this many customers holding 50 promotions each (benchmarks)",
    )
    parser.add_argument(
        "--exit-with-parent", action="store_true", help="stop when the process that started it ends"
    )
    args = parser.parse_args()
    if args.exit_with_parent:
        threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    app = create_app(Sandbox(build(bench_customers=args.bench_customers)))
    app.state.sandbox.latency_ms = args.latency_ms
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


if __name__ == "__main__":
    main()
