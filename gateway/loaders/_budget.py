"""The upstream calls one operation may still start: its cost estimate, enforced.

The estimate (`gateway.operations._cost`) is checked before the operation runs;
the loaders spend this budget on every upstream call they start, so a document
that slipped past the estimate still cannot make more calls than the limit.
"""

from __future__ import annotations

from gateway import errors


class CallBudget:
    """The upstream calls one operation may still start (the estimate, enforced)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self) -> None:
        if self.spent >= self.limit:
            raise errors.CostLimitExceeded(
                f"The operation reached its limit of {self.limit} upstream calls.",
                details={"maxUpstreamCalls": self.limit},
            )
        self.spent += 1
