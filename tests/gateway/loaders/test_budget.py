import pytest

from gateway import errors
from gateway.loaders._budget import CallBudget


def test_the_budget_stops_the_call_past_the_limit() -> None:
    budget = CallBudget(2)
    budget.spend()
    budget.spend()
    with pytest.raises(errors.CostLimitExceeded):
        budget.spend()
