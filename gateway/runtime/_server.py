"""Serving the app with uvicorn, and shutting down gracefully on SIGTERM.

On SIGTERM (or SIGINT) the server marks the app draining (its /readyz turns
503), stops accepting connections, lets requests in progress finish for up to
SHUTDOWN_GRACE_S, runs the app's lifespan shutdown
(which closes the upstream client) and exits 0. Plain uvicorn re-raises the
signal once it is done, which makes the process exit -15; orchestrators read
that as a crash.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
from collections.abc import Callable, Generator
from types import FrameType

import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

from gateway.runtime.worker import app_from_env
from gateway.settings import Settings

APP = "gateway.runtime.worker:app_from_env"


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.on_exit: list[Callable[[], None]] = []

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        for hook in self.on_exit:
            hook()
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve(settings: Settings) -> None:
    """Serve the gateway (settings reach the workers through the environment)."""
    server: GracefulServer | None = None

    def app() -> Starlette:
        built = app_from_env()
        if server is not None:
            server.on_exit.append(built.state.readiness.drain)
        return built

    config = uvicorn.Config(
        # Workers import the factory by name; one process builds it here, to hear SIGTERM.
        APP if settings.workers > 1 else app,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        # Logging is the gateway's (gateway.observability): uvicorn's loggers reach its handler.
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_s),
    )
    if settings.workers > 1:
        # The supervisor handles SIGTERM itself: it stops the workers (each shutting
        # down gracefully) and returns.
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server = GracefulServer(config)
    server.run()
    if not server.started:
        raise SystemExit(3)
