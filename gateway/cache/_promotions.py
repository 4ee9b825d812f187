"""The process's caches of promotions: by id, and the list endpoint's pages.

Keyed by credential fingerprint first, so two credentials never share an entry.
A promotion stops being fresh at its TTL or the moment it starts or ends (its
status changes then), whichever comes first; the two caches share one byte budget.
"""

from __future__ import annotations

import pickle
from collections.abc import Hashable
from typing import TypeVar

from gateway.cache._result_cache import CACHE_EVENTS, FreshUntil, OnEvent, ResultCache
from gateway.observability import Metrics
from gateway.settings import Settings
from gateway.upstream import records
from gateway.upstream.queries import PromotionPageQuery

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# (credential fingerprint, program id, promotion id)
PromotionCacheKey = tuple[str, str, str]
# (credential fingerprint, the page asked for)
PageCacheKey = tuple[str, PromotionPageQuery]


def promotion_deadline(promotion: records.Promotion, now: float) -> float | None:
    """The next moment the promotion starts or ends: its status changes then."""
    boundaries = (
        moment.timestamp()
        for moment in (promotion.start_date, promotion.end_date)
        if moment is not None
    )
    return min((b for b in boundaries if b > now), default=None)


def page_deadline(page: records.PromotionPage, now: float) -> float | None:
    deadlines = (promotion_deadline(p, now) for p in page.promotions)
    return min((d for d in deadlines if d is not None), default=None)


def approximate_size(record: object) -> int:
    """Bytes a cached record stands for (its pickled size: cheap, once per store;
    nothing pickled ever leaves the process)."""
    return len(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))


class PromotionCaches:
    """Process-wide caches of promotions and promotion pages, keyed by credential fingerprint."""

    def __init__(self, settings: Settings, metrics: Metrics | None = None) -> None:
        self.promotions: ResultCache[PromotionCacheKey, records.Promotion] = _cache(
            settings, promotion_deadline, _counter(metrics, "promotions")
        )
        self.promotion_pages: ResultCache[PageCacheKey, records.PromotionPage] = _cache(
            settings, page_deadline, _counter(metrics, "promotion_pages")
        )


def _counter(metrics: Metrics | None, cache: str) -> OnEvent | None:
    if metrics is None:
        return None
    events = metrics.cache_events
    # Resolving the labels costs more than counting: once per event, not per lookup.
    counters = {event: events.labels(cache, event) for event in CACHE_EVENTS}

    def count(event: str, times: int) -> None:
        counters[event].inc(times)

    return count


def _cache(
    settings: Settings, fresh_until: FreshUntil[V], on_event: OnEvent | None
) -> ResultCache[K, V]:
    return ResultCache(
        on_event=on_event,
        ttl_s=settings.cache_ttl_s,
        max_entries=settings.cache_max_entries,
        # The two caches share the byte budget.
        max_bytes=settings.cache_max_bytes // 2,
        stale_s=settings.stale_if_error_s,
        refresh_ahead_s=settings.cache_refresh_ahead_s,
        refresh_budget_s=settings.operation_timeout_s,
        fresh_until=fresh_until,
        weigh=approximate_size,
    )
