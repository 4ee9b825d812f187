from gateway.breaker import CircuitBreaker
from tests.clock import Clock


def test_it_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(failure_threshold=3, open_s=10, clock=Clock())
    for failed in (True, True, False, True, True):
        assert breaker.admit()
        breaker.record(failed=failed)
    assert breaker.state.value == "closed"
    assert breaker.admit()
    breaker.record(failed=True)
    assert breaker.state.value == "open"
    assert not breaker.admit()


def test_it_half_opens_with_a_single_probe_and_closes_on_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, open_s=10, clock=clock)
    breaker.admit()
    breaker.record(failed=True)
    clock.now = 9.9
    assert not breaker.admit()
    assert breaker.retry_in() > 0
    clock.now = 10.0
    assert breaker.admit()
    assert breaker.state.value == "half_open"
    assert not breaker.admit()  # the probe is out: everyone else still fails fast
    breaker.record(failed=False)
    assert breaker.state.value == "closed"
    assert breaker.admit()


def test_a_failed_probe_opens_it_again_for_a_full_period() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, open_s=10, clock=clock)
    breaker.admit()
    breaker.record(failed=True)
    clock.now = 10.0
    assert breaker.admit()
    breaker.record(failed=True)
    assert breaker.state.value == "open"
    clock.now = 19.0
    assert not breaker.admit()
    clock.now = 20.0
    assert breaker.admit()


def test_a_probe_that_never_reached_the_upstream_frees_the_slot() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, open_s=10, clock=clock)
    breaker.admit()
    breaker.record(failed=True)
    clock.now = 10.0
    assert breaker.admit()
    breaker.release()
    assert breaker.admit()
