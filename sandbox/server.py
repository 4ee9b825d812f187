"""Run the sandbox on a loopback port: in a background thread (tests) or a process."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass

import uvicorn

from sandbox.app import Sandbox, create_app


@dataclass
class RunningSandbox:
    url: str
    sandbox: Sandbox
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve_in_thread(host: str = "127.0.0.1") -> RunningSandbox:
    """Start a sandbox on a free loopback port, in a thread with its own event loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    sandbox = Sandbox()
    config = uvicorn.Config(
        create_app(sandbox),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True, name="sandbox"
    )
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the sandbox did not start")
        threading.Event().wait(0.01)
    return RunningSandbox(f"http://{host}:{port}", sandbox, server, thread)
