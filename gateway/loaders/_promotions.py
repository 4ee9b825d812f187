"""A request's promotions: by id and by list page, through the process's caches.

A miss is fetched within the request's deadline and budget; a hit costs
nothing; a refresh ahead of expiry runs in the background; an entry past its
freshness is served stale (and noted) when the upstream fails.
"""

from __future__ import annotations

import time

from gateway.cache import PromotionCaches
from gateway.deadline import Deadline
from gateway.loaders._request_calls import RequestCalls
from gateway.observability import UpstreamCall
from gateway.upstream import Answer, Caller, promotion_page_params, records
from gateway.upstream.queries import PromotionPageQuery

PromotionKey = tuple[str, str]  # (program id, promotion id)


class Promotions:
    """Fetches for the request's promotion loaders (which must not be held here)."""

    def __init__(self, calls: RequestCalls, caches: PromotionCaches) -> None:
        self._calls = calls
        self._caches = caches
        self._scope = calls.credential.fingerprint

    async def by_id(self, key: PromotionKey) -> records.Promotion:
        program_id, promotion_id = key
        calls = self._calls

        async def load(by: Deadline, background: bool) -> Answer[records.Promotion]:
            caller = self._calling(by, background)
            return await calls.client.promotion_answer(
                calls.credential, program_id, promotion_id, caller
            )

        started = time.perf_counter()
        served = await self._caches.promotions.get(
            (self._scope, program_id, promotion_id), load, calls.caller.deadline
        )
        self._served(key, served.event, started)
        promotion = served.value.record
        if served.stale_age_s is not None:
            calls.stale.add(promotion, served.stale_age_s)
        return promotion

    def cached(self, key: PromotionKey) -> records.Promotion | None:
        """The promotion if the cache holds it fresh: a look only, until `served` counts it."""
        program_id, promotion_id = key
        answer = self._caches.promotions.fresh((self._scope, program_id, promotion_id))
        return None if answer is None else answer.record

    def served(self, keys: list[PromotionKey]) -> None:
        """Count and report the cached promotions that were served."""
        self._caches.promotions.count_hits(len(keys))
        caller = self._calls.caller
        if caller.calls is None:
            return
        if caller.itemised:
            for key in keys:
                self._served(key, "hit")
        else:
            caller.calls.append(UpstreamCall("promotion", {}, "hit", count=len(keys)))

    async def page(self, query: PromotionPageQuery) -> records.PromotionPage:
        calls = self._calls

        async def load(by: Deadline, background: bool) -> Answer[records.PromotionPage]:
            caller = self._calling(by, background)
            return await calls.client.promotion_page_answer(calls.credential, query, caller)

        started = time.perf_counter()
        served = await self._caches.promotion_pages.get(
            (self._scope, query), load, calls.caller.deadline
        )
        params = promotion_page_params(query)
        calls.served_from_cache("promotion_list", params, served.event, started)
        page = served.value.record
        if served.stale_age_s is not None:
            for listed in page.promotions:
                calls.stale.add(listed, served.stale_age_s)
        return page

    def _calling(self, by: Deadline, background: bool) -> Caller:
        """Whom a cache load calls for: a refresh no request waits for (reported
        nowhere, spending no request's budget), or this request's miss (spent)."""
        if background:
            return Caller(by, calls=None, cache="refresh")
        self._calls.budget.spend()
        return self._calls.caller.for_cache("miss")

    def _served(self, key: PromotionKey, event: str, started: float | None = None) -> None:
        program_id, promotion_id = key
        shown = {"programId": program_id, "promotionId": promotion_id}
        self._calls.served_from_cache("promotion", shown, event, started)
