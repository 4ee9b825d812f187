"""The drain put in front of uvicorn's SIGTERM handler (gateway/runtime/_drain.py); the
real process is tests/gateway/runtime/test_server.py's."""

import signal
import threading
import time
from types import FrameType

from gateway.runtime._drain import Drain, drain_on_sigterm


class Stops:
    def __init__(self) -> None:
        self.calls: list[tuple[int, float]] = []
        self.called = threading.Event()

    def __call__(self, sig: int, frame: FrameType | None) -> None:
        self.calls.append((sig, time.monotonic()))
        self.called.set()


def test_sigterm_drains_first_and_stops_after_the_pause() -> None:
    drained: list[float] = []
    stops = Stops()
    drain = Drain(lambda: drained.append(time.monotonic()), 0.3, stops)
    drain.on_sigterm(signal.SIGTERM, None)
    assert len(drained) == 1
    assert stops.calls == []  # still serving
    assert stops.called.wait(5)
    [(sig, stopped)] = stops.calls
    assert sig == signal.SIGTERM
    assert stopped - drained[0] >= 0.3


def test_a_second_sigterm_stops_at_once_and_only_once() -> None:
    stops = Stops()
    drain = Drain(lambda: None, 30, stops)
    drain.on_sigterm(signal.SIGTERM, None)
    drain.on_sigterm(signal.SIGTERM, None)
    assert len(stops.calls) == 1
    drain.on_sigterm(signal.SIGTERM, None)
    assert len(stops.calls) == 1


def test_no_drain_time_stops_at_once_after_marking_the_app() -> None:
    order: list[str] = []
    drain = Drain(lambda: order.append("drain"), 0, lambda sig, frame: order.append("stop"))
    drain.on_sigterm(signal.SIGTERM, None)
    assert order == ["drain", "stop"]


def test_only_a_python_handler_is_delayed() -> None:
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        assert not drain_on_sigterm(lambda: None, 5)  # not under uvicorn: left alone
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        stops = Stops()
        signal.signal(signal.SIGTERM, stops)
        assert drain_on_sigterm(lambda: None, 0)
        assert signal.getsignal(signal.SIGTERM) is not stops
        signal.raise_signal(signal.SIGTERM)
        assert [sig for sig, _ in stops.calls] == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)
