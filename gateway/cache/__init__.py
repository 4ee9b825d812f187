"""The process's caches of upstream answers, shared by its requests, and (with a
fleet) by every replica through Redis.

`ResultCache` is the mechanism (TTL and per-entry deadlines, stale-if-error,
refresh ahead, single-flight, bounded in entries and bytes, an optional second
level); `SharedLevel` is that second level (Redis entries in a versioned JSON
envelope, a fleet-wide lease per missing entry); `PromotionCaches` holds the
caches the gateway keeps (promotions by id, list pages, customer lookups), keyed
by credential fingerprint, and their purge (`PurgeTarget`, `Purged`).
"""

from gateway.cache._promotions import PromotionCaches
from gateway.cache._purge import Purged, PurgeIncomplete, PurgeTarget
from gateway.cache._result_cache import ResultCache, Served, consume_outcome
from gateway.cache._shared import SharedLevel, Stored

__all__ = [
    "PromotionCaches",
    "PurgeIncomplete",
    "PurgeTarget",
    "Purged",
    "ResultCache",
    "Served",
    "SharedLevel",
    "Stored",
    "consume_outcome",
]
