"""Draining on SIGTERM, in every worker: out of rotation first, stopped after.

On SIGTERM a worker marks its app draining (its /readyz answers 503) and goes
on listening and serving for SHUTDOWN_DRAIN_S, so that a load balancer polling
/readyz takes it out of rotation while it still answers; only then does uvicorn's
own shutdown start (stop accepting, let requests in progress finish for up to
SHUTDOWN_GRACE_S). A second SIGTERM cuts the drain short; SIGINT (Ctrl+C) is
left to uvicorn, so development stops at once.

uvicorn's server installs its SIGTERM handler before it loads the app (the
factory runs inside `Server.serve`), in each worker process whether there is one
or several; the factory then puts the drain in front of that handler here.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

logger = logging.getLogger("gateway.runtime")

Handler = Callable[[int, FrameType | None], object]


def drain_on_sigterm(drain: Callable[[], None], drain_s: float) -> bool:
    """Put `drain` and a pause of `drain_s` in front of this process's SIGTERM
    handler; False (nothing done) when there is no Python handler to delay (not
    under a uvicorn server) or when not on the main thread, where signals go."""
    if threading.current_thread() is not threading.main_thread():
        return False
    stop = signal.getsignal(signal.SIGTERM)
    if not callable(stop):
        return False
    signal.signal(signal.SIGTERM, Drain(drain, drain_s, stop).on_sigterm)
    return True


class Drain:
    def __init__(self, drain: Callable[[], None], drain_s: float, stop: Handler) -> None:
        self._drain = drain
        self._drain_s = drain_s
        self._stop = stop
        self._pause: threading.Timer | None = None
        self._stopped = False

    def on_sigterm(self, sig: int, frame: FrameType | None) -> None:
        if self._pause is not None:  # a second SIGTERM: stop now
            self._pause.cancel()
            self._pause = None
            self.stop(sig, frame)
            return
        if self._stopped:
            return
        self._drain()
        if self._drain_s <= 0:
            self.stop(sig, frame)
            return
        logger.info(
            "SIGTERM: draining for %.1f s (/readyz answers 503), then stopping", self._drain_s
        )
        # A thread, not the event loop: this runs in a signal handler. uvicorn's handler
        # only sets a flag that its main loop reads every 0.1 s.
        self._pause = threading.Timer(self._drain_s, self.stop, (sig, frame))
        self._pause.daemon = True
        self._pause.start()

    def stop(self, sig: int, frame: FrameType | None) -> None:
        if not self._stopped:
            self._stopped = True
            self._stop(sig, frame)
