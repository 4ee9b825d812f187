"""Per request: batch and de-duplicate the upstream lookups resolvers ask for.

`Loaders.for_request` builds one request's loaders (in the context getter:
aiodataloader binds the running event loop). Within a request each key is
loaded once; promotions go through the process's caches (`gateway.cache`),
customer lookups through its single-flight (and, opted in, a short cache).
Every call they start is counted against the request's `CallBudget`, ends by its
deadline and is reported in its call list; records served stale are noted in its `StaleLog`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.cache import PromotionCaches
from gateway.loaders._batching import Loader
from gateway.loaders._budget import CallBudget
from gateway.loaders._customers import Customers
from gateway.loaders._promotions import PromotionKey, Promotions
from gateway.loaders._request_calls import RequestCalls
from gateway.loaders._staleness import StaleLog
from gateway.upstream import records
from gateway.upstream.queries import CustomerPromotionsQuery, PromotionPageQuery


@dataclass(frozen=True, slots=True)
class Loaders:
    promotion: Loader[PromotionKey, records.Promotion]
    # The promotion if the cache holds it fresh, without a trip through the loader;
    # a look only, until `cached_promotions_served` counts and explains it.
    cached_promotion: Callable[[PromotionKey], records.Promotion | None]
    cached_promotions_served: Callable[[list[PromotionKey]], None]
    promotion_page: Loader[PromotionPageQuery, records.PromotionPage]
    customer_promotions: Loader[CustomerPromotionsQuery, records.CustomerPage]

    @classmethod
    def for_request(cls, calls: RequestCalls, caches: PromotionCaches, *, fanout: int) -> Loaders:
        """This request's loaders; each batch makes at most `fanout` calls at once."""
        promotions = Promotions(calls, caches)
        return cls(
            promotion=Loader(promotions.by_id, limit=fanout),
            cached_promotion=promotions.cached,
            cached_promotions_served=promotions.served,
            promotion_page=Loader(promotions.page, limit=fanout),
            customer_promotions=Loader(Customers(calls, caches).promotions, limit=fanout),
        )


__all__ = ["CallBudget", "Loaders", "PromotionKey", "RequestCalls", "StaleLog"]
