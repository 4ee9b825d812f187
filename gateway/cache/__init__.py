"""The process's caches of upstream results, shared by its requests.

`ResultCache` is the mechanism (TTL and per-entry deadlines, stale-if-error,
refresh ahead, single-flight, bounded in entries and bytes); `PromotionCaches`
holds the two caches the gateway keeps (promotions by id, list pages), keyed
by credential fingerprint.
"""

from gateway.cache._promotions import PromotionCaches
from gateway.cache._result_cache import ResultCache, Served, consume_outcome

__all__ = ["PromotionCaches", "ResultCache", "Served", "consume_outcome"]
