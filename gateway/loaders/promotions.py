"""Per-request DataLoaders in front of the cross-request caches and the upstream.

Built for each request in the context getter (aiodataloader binds the running
event loop when constructed). Within a request, each key is loaded once; keys
collected in one tick are fetched together, concurrently but bounded (the
vendor has no batch endpoint), each key getting its own result or its own error.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

from aiodataloader import DataLoader

from gateway.cache.result_cache import (
    CACHE_EVENTS,
    FreshUntil,
    OnEvent,
    ResultCache,
    consume_outcome,
)
from gateway.credentials import Credential
from gateway.deadline import Deadline
from gateway.loaders.budget import CallBudget
from gateway.loaders.staleness import StaleLog
from gateway.observability.metrics import Metrics
from gateway.settings import Settings
from gateway.upstream import records
from gateway.upstream.calls import Caller, UpstreamCall
from gateway.upstream.client import UpstreamClient, promotion_page_params
from gateway.upstream.queries import CustomerPromotionsQuery, PromotionPageQuery

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

PromotionKey = tuple[str, str]  # (program id, promotion id)


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
    """Bytes a cached record stands for (its pickled size: cheap, once per store)."""
    return len(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))


class UpstreamCaches:
    """Process-wide caches of upstream results, keyed by credential fingerprint."""

    def __init__(self, settings: Settings, metrics: Metrics | None = None) -> None:
        self.promotions: ResultCache[tuple[str, str, str], records.Promotion] = _cache(
            settings, promotion_deadline, _counter(metrics, "promotions")
        )
        self.promotion_pages: ResultCache[tuple[str, PromotionPageQuery], records.PromotionPage]
        self.promotion_pages = _cache(settings, page_deadline, _counter(metrics, "promotion_pages"))


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


class Loader(DataLoader[K, V]):
    """A typed DataLoader whose batches run `fetch` per key, `limit` at a time."""

    def __init__(self, fetch: Callable[[K], Awaitable[V]], *, limit: int) -> None:
        # A function, not a bound method: a loader holding its own method would be
        # a reference cycle, and so would be all it loaded, until the GC ran.
        super().__init__(
            batch_load_fn=_batches(fetch, limit),  # type: ignore[arg-type]
            max_batch_size=None,
            loop=asyncio.get_running_loop(),  # get_event_loop() costs more, and warns outside one
        )

    def load(self, key: K) -> asyncio.Future[V]:
        """Start loading `key` (batched with the other keys of this tick)."""
        future: asyncio.Future[V] = super().load(key)
        # A load started ahead of need (see resolvers.customers) may end unawaited.
        future.add_done_callback(consume_outcome)
        return future


def _batches(
    fetch: Callable[[K], Awaitable[V]], limit: int
) -> Callable[[list[K]], Awaitable[list[V | Exception]]]:
    async def load_batch(keys: list[K]) -> list[V | Exception]:
        slots = asyncio.Semaphore(limit)

        async def bounded(key: K) -> V:
            async with slots:
                return await fetch(key)

        # One key's failure is that key's result, never its siblings'.
        outcomes = await asyncio.gather(*(bounded(key) for key in keys), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome
        return outcomes  # type: ignore[return-value]

    return load_batch


@dataclass(frozen=True)
class Loaders:
    promotion: Loader[PromotionKey, records.Promotion]
    # The promotion if the cache holds it fresh, without a trip through the loader;
    # a look only, until `cached_promotions_served` counts and explains it.
    cached_promotion: Callable[[PromotionKey], records.Promotion | None]
    cached_promotions_served: Callable[[list[PromotionKey]], None]
    promotion_page: Loader[PromotionPageQuery, records.PromotionPage]
    customer_promotions: Loader[CustomerPromotionsQuery, records.CustomerPage]


def build_loaders(
    client: UpstreamClient,
    caches: UpstreamCaches,
    credential: Credential,
    settings: Settings,
    caller: Caller,
    stale: StaleLog,
    budget: CallBudget,
) -> Loaders:
    """This request's loaders: every call they start is counted against `budget`,
    ends by the caller's deadline and is reported in the caller's call list."""
    scope = credential.fingerprint

    def background(deadline: Deadline) -> Caller:
        return Caller(deadline, calls=None, cache="refresh")

    def served_from_cache(endpoint: str, params: dict[str, str], event: str) -> None:
        if event != "miss" and caller.calls is not None:
            caller.calls.append(UpstreamCall(endpoint, params, event))

    def promotion_served(program_id: str, promotion_id: str, event: str) -> None:
        shown = {"programId": program_id, "promotionId": promotion_id}
        served_from_cache("promotion", shown, event)

    async def promotion(key: PromotionKey) -> records.Promotion:
        program_id, promotion_id = key

        async def load(by: Deadline, in_background: bool) -> records.Promotion:
            if in_background:
                return await client.promotion(credential, program_id, promotion_id, background(by))
            budget.spend()
            return await client.promotion(
                credential, program_id, promotion_id, caller.for_cache("miss")
            )

        served = await caches.promotions.get(
            (scope, program_id, promotion_id), load, caller.deadline
        )
        promotion_served(program_id, promotion_id, served.event)
        if served.stale_age_s is not None:
            stale.add(served.value, served.stale_age_s)
        return served.value

    def cached_promotion(key: PromotionKey) -> records.Promotion | None:
        program_id, promotion_id = key
        return caches.promotions.fresh((scope, program_id, promotion_id))

    def cached_promotions_served(keys: list[PromotionKey]) -> None:
        caches.promotions.count_hits(len(keys))
        if caller.calls is None:
            return
        if caller.itemised:
            for key in keys:
                promotion_served(*key, "hit")
        else:
            caller.calls.append(UpstreamCall("promotion", {}, "hit", count=len(keys)))

    async def promotion_page(query: PromotionPageQuery) -> records.PromotionPage:
        async def load(by: Deadline, in_background: bool) -> records.PromotionPage:
            if in_background:
                return await client.promotion_page(credential, query, background(by))
            budget.spend()
            return await client.promotion_page(credential, query, caller.for_cache("miss"))

        served = await caches.promotion_pages.get((scope, query), load, caller.deadline)
        served_from_cache("promotion_list", promotion_page_params(query), served.event)
        if served.stale_age_s is not None:
            for listed in served.value.promotions:
                stale.add(listed, served.stale_age_s)
        return served.value

    async def customer_promotions(query: CustomerPromotionsQuery) -> records.CustomerPage:
        budget.spend()
        return await client.customer_promotions(credential, query, caller)

    return Loaders(
        promotion=Loader(promotion, limit=settings.promotion_fanout),
        cached_promotion=cached_promotion,
        cached_promotions_served=cached_promotions_served,
        promotion_page=Loader(promotion_page, limit=settings.promotion_fanout),
        customer_promotions=Loader(customer_promotions, limit=settings.promotion_fanout),
    )
