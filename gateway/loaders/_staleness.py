"""Which parts of a response were served from stale cache entries, and how old.

The loaders note each record they got from a stale entry; the fields that
return such a record mark their response path; the operation's
`extensions.stale` (`gateway.operations._report.StaleReport`) lists those paths
with the age of the data in seconds.
"""

from __future__ import annotations

from typing import Any


class StaleLog:
    """Per request: the records served stale, and the response paths they filled."""

    def __init__(self) -> None:
        # Keyed by identity; the record is kept so its id cannot be reused meanwhile.
        self._ages: dict[int, tuple[object, float]] = {}
        self._paths: list[dict[str, Any]] = []

    def add(self, record: object, age_s: float) -> None:
        self._ages[id(record)] = (record, age_s)

    def mark(self, path: list[str | int], *served: object) -> None:
        """`path` holds `served`: note it if any of them was stale."""
        if not self._ages:
            return
        ages = [self._ages[id(r)][1] for r in served if id(r) in self._ages]
        if ages:
            self._paths.append({"path": path, "ageSeconds": max(ages)})

    def report(self) -> list[dict[str, Any]]:
        return list(self._paths)
