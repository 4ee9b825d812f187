from gateway.upstream._retries import RetryBudget, backoff_s
from tests.clock import Clock


def test_backoff_is_full_jitter_over_an_exponential_ceiling() -> None:
    assert backoff_s(0, 0.1, rng=lambda low, high: high) == 0.1
    assert backoff_s(2, 0.1, rng=lambda low, high: high) == 0.4
    assert backoff_s(2, 0.1, rng=lambda low, high: low) == 0.0


def test_retries_stay_within_a_share_of_recent_calls() -> None:
    clock = Clock(100.0)
    budget = RetryBudget(ratio=0.1, floor=2, clock=clock)
    for _ in range(100):
        budget.record_call()
    granted = sum(budget.try_spend() for _ in range(50))
    assert granted == 12  # 10% of 100 calls, plus the floor of 2


def test_the_window_slides() -> None:
    clock = Clock(100.0)
    budget = RetryBudget(ratio=0.1, floor=0, window_s=10, clock=clock)
    for _ in range(100):
        budget.record_call()
    assert sum(budget.try_spend() for _ in range(20)) == 10
    clock.now += 5
    assert not budget.try_spend()
    clock.now += 6  # the first second's calls and retries have left the window
    for _ in range(10):
        budget.record_call()
    assert sum(budget.try_spend() for _ in range(20)) == 1
