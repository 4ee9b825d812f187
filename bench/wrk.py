"""Load from wrk (a C load generator): POST bodies in rotation, latency percentiles back.

Each connection sends the next body of the list when its previous answer arrived
(a closed loop at a fixed number of connections). The Lua script below rotates
the bodies and prints wrk's own summary as one JSON line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SCRIPT = r"""
local bodies = {}
local next_body = 0
wrk.method = "POST"

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  next_body = math.random(#bodies)
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d,"non_2xx":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


class WrkMissing(RuntimeError):
    """wrk is not installed (`make bench` installs it from Debian's packages)."""


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    requests: int
    seconds: float
    errors: int  # connect, read, write and timeout errors
    non_2xx: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def run(
    url: str,
    bodies: Sequence[str],
    headers: dict[str, str],
    *,
    connections: int,
    seconds: float,
    threads: int = 1,
) -> Load:
    """Drive `url` with `connections` connections for `seconds`, rotating `bodies`."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise WrkMissing("wrk is not on PATH")
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as directory:
        script, lines = Path(directory, "rotate.lua"), Path(directory, "bodies.jsonl")
        script.write_text(SCRIPT)
        lines.write_text("".join(body + "\n" for body in bodies))
        command = [
            wrk,
            f"--threads={min(threads, connections)}",
            f"--connections={connections}",
            f"--duration={seconds:g}s",
            "--timeout=10s",
            f"--script={script}",
        ]
        for name, value in headers.items():
            command += ["--header", f"{name}: {value}"]
        command += [url, "--", str(lines)]
        finished = subprocess.run(command, capture_output=True, text=True, check=True)
    for line in finished.stdout.splitlines():
        if line.startswith("WRK-JSON "):
            summary = json.loads(line.removeprefix("WRK-JSON "))
            return Load(
                requests=summary["requests"],
                seconds=summary["duration_us"] / 1e6,
                errors=summary["errors"],
                non_2xx=summary["non_2xx"],
                p50_ms=summary["p50_us"] / 1000,
                p90_ms=summary["p90_us"] / 1000,
                p99_ms=summary["p99_us"] / 1000,
                max_ms=summary["max_us"] / 1000,
            )
    raise RuntimeError(f"wrk printed no summary:\n{finished.stdout}\n{finished.stderr}")
