"""A request's customer lookups: never cached across requests, so every distinct
lookup is one upstream call (the request's loader de-duplicates them)."""

from __future__ import annotations

from gateway.loaders._request_calls import RequestCalls
from gateway.upstream import records
from gateway.upstream.queries import CustomerPromotionsQuery


class Customers:
    """Fetches for the request's customer loader (which must not be held here)."""

    def __init__(self, calls: RequestCalls) -> None:
        self._calls = calls

    async def promotions(self, query: CustomerPromotionsQuery) -> records.CustomerPage:
        calls = self._calls
        calls.budget.spend()
        return await calls.client.customer_promotions(calls.credential, query, calls.caller)
