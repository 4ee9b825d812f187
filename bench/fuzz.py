"""`make fuzz`: schemathesis generates GraphQL operations from the served schema and
sends them to a production-mode gateway over the sandbox. A 5xx, a non-GraphQL
body, an uncoded or INTERNAL error, or a leak fails the run (bench/fuzz_checks.py).

Bounded in time (`--seconds`); traffic goes to 127.0.0.1 only.

    python -m bench.fuzz --seconds 120
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from bench.processes import sandbox_and_gateway
from sandbox import DEMO_AUTHORIZATION

SCHEMA = Path(__file__).parent.parent / "schema.graphql"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args()

    env = {
        "GATEWAY_ENV": "production",
        "LOG_LEVEL": "ERROR",
        # Let the generated traffic through the per-client and upstream quotas.
        "CLIENT_RATE_LIMIT_PER_MIN": "0",
        "UPSTREAM_RATE_LIMIT_PER_MIN": "1000000",
    }
    python = sys.executable
    with sandbox_and_gateway(env) as (_sandbox_url, gateway_url, gateway):
        # Introspection is off in production: the committed SDL is the schema.
        result = subprocess.run(
            [
                str(Path(python).parent / "schemathesis"),
                "run",
                str(SCHEMA),
                "--url",
                f"{gateway_url}/graphql",
                "--header",
                f"Authorization: {DEMO_AUTHORIZATION}",
                # Both count the contract's coded errors as faults (see fuzz_checks.py).
                "--exclude-checks",
                "not_a_server_error,positive_data_acceptance",
                "--max-time",
                str(args.seconds),
                "--workers",
                "2",
                "--no-color",
            ],
            check=False,
            env={**os.environ, "SCHEMATHESIS_HOOKS": str(Path(__file__).parent / "fuzz_checks.py")},
        )
        alive = gateway.poll() is None
    if not alive:
        raise SystemExit("fuzz: the gateway died")
    raise SystemExit(result.returncode)


if __name__ == "__main__":
    main()
