"""Serving the app with uvicorn, and shutting down gracefully on SIGTERM.

On SIGTERM (or SIGINT) each worker stops accepting connections, lets requests in
progress finish for up to SHUTDOWN_GRACE_S, runs the app's lifespan shutdown
(which closes the upstream client) and exits; on SIGTERM, each worker first
drains for SHUTDOWN_DRAIN_S (`_drain`: /readyz 503, still serving). With one
worker the process exits 0: plain uvicorn re-raises the signal once it is done,
which makes the process exit -15; orchestrators read that as a crash. With
several, uvicorn's supervisor hands SIGTERM to every worker and exits 0 once they
are done.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
from collections.abc import Generator

import uvicorn
from uvicorn.supervisors import Multiprocess

from gateway.settings import Settings

APP = "gateway.runtime.worker:app_from_env"


class GracefulServer(uvicorn.Server):
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
    config = uvicorn.Config(
        # Each worker builds the app in its own process, once uvicorn listens for SIGTERM.
        APP,
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
        # The supervisor handles SIGTERM itself: it hands it to every worker (each
        # draining, then shutting down gracefully) and returns once they are done.
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server = GracefulServer(config)
    server.run()
    if not server.started:
        raise SystemExit(3)
