"""A request's customer lookups. Identical lookups in flight at once (from any of
the process's requests, same credential) share one upstream call; answers are kept
across requests only when an operator opts in (`CUSTOMER_CACHE_TTL_S`, then shared
by the fleet too). Within a request the loader de-duplicates them anyway."""

from __future__ import annotations

import time

from gateway.cache import PromotionCaches
from gateway.deadline import Deadline
from gateway.loaders._request_calls import RequestCalls
from gateway.upstream import Answer, customer_promotions_params, records
from gateway.upstream.queries import CustomerPromotionsQuery


class Customers:
    """Fetches for the request's customer loader (which must not be held here)."""

    def __init__(self, calls: RequestCalls, caches: PromotionCaches) -> None:
        self._calls = calls
        self._caches = caches

    async def promotions(self, query: CustomerPromotionsQuery) -> records.CustomerPage:
        calls = self._calls
        cache = self._caches.customers

        async def load(_by: Deadline, _background: bool) -> Answer[records.CustomerPage]:
            # No refresh ahead for customers: a load is always this request's miss.
            calls.budget.spend()
            caller = calls.caller
            if cache.caching:
                return await calls.client.customer_promotions_answer(
                    calls.credential, query, caller
                )
            # Not kept: the record alone (the JSON is only for a cache to store).
            page = await calls.client.customer_promotions(calls.credential, query, caller)
            return Answer(page, b"")

        started = time.perf_counter()
        served = await cache.get((calls.credential.fingerprint, query), load, calls.caller.deadline)
        if served.event != "miss":
            calls.served_from_cache(
                "customer_promotions", customer_promotions_params(query), served.event, started
            )
        return served.value.record
