"""Starting the sandbox and the gateway as processes on loopback ports (load runs, tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_tree(pid: int) -> list[int]:
    """`pid` and all of its descendants (a gateway's workers, say)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid` and its descendants so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def peak_rss_mib(pid: int) -> float:
    """The highest peak resident set (VmHWM) of `pid` and its descendants."""
    peaks = [_status_mib(member, "VmHWM:") for member in process_tree(pid)]
    return max(peaks, default=0.0)


def rss_mib(pid: int) -> float:
    return _status_mib(pid, "VmRSS:")


def _status_mib(pid: int, key: str) -> float:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    for line in lines:
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_until_up(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout_s:g} s")


@contextmanager
def started(
    command: list[str],
    env: dict[str, str],
    health: str,
    *,
    quiet: bool = False,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` running (in `cwd`) until the block ends; `quiet` discards its standard
    output (per-request log lines would cost a load run the terminal's time)."""
    stdout = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(command, env=env, stdout=stdout, cwd=cwd)
    try:
        wait_until_up(health)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout_s`."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def sandbox_and_gateway(
    env: dict[str, str],
) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """The sandbox and the gateway (through its CLI) on free loopback ports.

    Yields the sandbox's URL, the gateway's URL and the gateway's process; `env`
    adds to the gateway's environment (UPSTREAM_URL and PORT are set here).
    """
    sandbox_port, gateway_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    environ = {**os.environ, **env, "UPSTREAM_URL": sandbox_url, "PORT": str(gateway_port)}
    python = sys.executable
    with (
        started(
            [python, "-m", "sandbox", "--port", str(sandbox_port)],
            environ,
            f"{sandbox_url}/__sandbox/health",
        ),
        started([python, "-m", "gateway"], environ, f"{gateway_url}/healthz") as gateway,
    ):
        yield sandbox_url, gateway_url, gateway
