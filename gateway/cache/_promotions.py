"""The process's caches of upstream answers: promotions by id, the list endpoint's
pages, and (opted into with `CUSTOMER_CACHE_TTL_S`) customer lookups.

Keyed by credential fingerprint first, so two credentials never share an entry.
A promotion stops being fresh at its TTL or the moment it starts or ends (its
status changes then), whichever comes first; the caches share one byte budget.
With a fleet (`REDIS_URL`), each has a second level in Redis (`SharedLevel`)
whose keys carry the fingerprint and, for pages and customers, an HMAC of the
query (`CACHE_KEY_SECRET`), never the query or the customer itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlencode

from gateway.cache._purge import PurgeLog, Purges, PurgeTarget
from gateway.cache._result_cache import CACHE_EVENTS, FreshUntil, OnEvent, ResultCache
from gateway.cache._shared import SharedLevel
from gateway.fleet import Fleet
from gateway.observability import Metrics
from gateway.settings import Settings
from gateway.upstream import (
    Answer,
    customer_promotions_params,
    promotion_page_params,
    read_customer_page,
    read_promotion,
    read_promotion_page,
    records,
)
from gateway.upstream.queries import CustomerPromotionsQuery, PromotionPageQuery

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
V = TypeVar("V")

# (credential fingerprint, program id, promotion id)
PromotionCacheKey = tuple[str, str, str]
# (credential fingerprint, the page asked for)
PageCacheKey = tuple[str, PromotionPageQuery]
# (credential fingerprint, the lookup asked for)
CustomerCacheKey = tuple[str, CustomerPromotionsQuery]


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


def answer_size(answer: Answer[Any]) -> int:
    """Bytes a cached answer stands for: its JSON, and the record read from it (taken
    to weigh as much again). Nothing is pickled, here or anywhere near the cache."""
    return 2 * len(answer.body)


class PromotionCaches:
    """Process-wide caches of upstream answers, keyed by credential fingerprint, with
    a Redis level each when there is a fleet."""

    def __init__(
        self, settings: Settings, metrics: Metrics | None = None, fleet: Fleet | None = None
    ) -> None:
        self.fleet = fleet
        self.purge_log = PurgeLog()
        secret = settings.cache_key_secret.encode()
        shared = self._shared = _SharedLevels(fleet, settings, metrics, secret)
        customers_cached = settings.customer_cache_ttl_s > 0
        share = settings.cache_max_bytes // (3 if customers_cached else 2)
        self.promotions: ResultCache[PromotionCacheKey, Answer[records.Promotion]] = _cache(
            settings,
            lambda answer, now: promotion_deadline(answer.record, now),
            _counter(metrics, "promotions"),
            max_bytes=share,
            shared=shared.promotions(),
            watch_purges=self.purge_log.watch(_names_promotion),
        )
        self.promotion_pages: ResultCache[PageCacheKey, Answer[records.PromotionPage]] = _cache(
            settings,
            lambda answer, now: page_deadline(answer.record, now),
            _counter(metrics, "promotion_pages"),
            max_bytes=share,
            shared=shared.pages(),
            watch_purges=self.purge_log.watch(_names_page),
        )
        # Uncached across requests unless opted in; concurrent identical lookups
        # share one call either way. Usage counts are never served stale.
        self.customers: ResultCache[CustomerCacheKey, Answer[records.CustomerPage]] = ResultCache(
            on_event=_counter(metrics, "customers"),
            ttl_s=settings.customer_cache_ttl_s,
            max_entries=settings.cache_max_entries,
            max_bytes=share,
            weigh=answer_size,
            shared=shared.customers() if customers_cached else None,
            watch_purges=self.purge_log.watch(_names_customer),
        )

        self.purges = Purges(fleet, self.drop, self.expire)

    @property
    def customers_cached(self) -> bool:
        """Are customer answers kept across requests (CUSTOMER_CACHE_TTL_S > 0)?"""
        return self.customers.caching

    async def aclose(self) -> None:
        """Finish (or cancel) the shared levels' writes; before the fleet closes."""
        await self._shared.aclose()

    def expire(self) -> int:
        """End the freshness of every entry of this process (kept, to serve stale)."""
        # Purges may have been missed: no load in flight stores what it fetched.
        self.purge_log.record(PurgeTarget())
        return self.promotions.expire() + self.promotion_pages.expire() + self.customers.expire()

    def drop(self, target: PurgeTarget) -> int:
        """Forget this process's entries `target` names; how many went."""
        self.purge_log.record(target)
        return (
            self.promotions.drop(lambda key, _answer: target.names(key[1], key[2]))
            + self.promotion_pages.drop(
                lambda key, answer: target.names_page(key[1].filter.program_id, answer.record)
            )
            + self.customers.drop(lambda _key, answer: target.names_customer(answer.record))
        )


class _SharedLevels:
    """The Redis level of each cache (None without a fleet)."""

    def __init__(
        self, fleet: Fleet | None, settings: Settings, metrics: Metrics | None, secret: bytes
    ) -> None:
        self._fleet = fleet
        self._settings = settings
        self._metrics = metrics
        self._secret = secret
        self._made: list[SharedLevel[Any, Any]] = []

    async def aclose(self) -> None:
        for level in self._made:
            await level.aclose()

    def _digest(self, params: dict[str, str]) -> str:
        """An HMAC of the query's parameters, in a normal order: the query, unreadable."""
        normal = urlencode(sorted(params.items())).encode()
        return hmac.new(self._secret, normal, hashlib.sha256).hexdigest()[:32]

    def _level(self, kind: str, stale_s: float, **rest: Any) -> SharedLevel[Any, Any] | None:
        if self._fleet is None:
            return None
        settings = self._settings
        level: SharedLevel[Any, Any] = SharedLevel(
            self._fleet,
            kind,
            stale_s=stale_s,
            # A lease lasts as long as one upstream call may (or the holder's deadline).
            lease_s=settings.upstream_timeout_s,
            metrics=self._metrics,
            **rest,
        )
        self._made.append(level)
        return level

    def promotions(self) -> SharedLevel[PromotionCacheKey, Answer[records.Promotion]] | None:
        def indexes(
            key: PromotionCacheKey, _answer: Answer[records.Promotion]
        ) -> Iterable[tuple[str, ...]]:
            _, program_id, promotion_id = key
            return [("promotion", program_id, promotion_id), ("program", program_id), ("all",)]

        return self._level(
            "promotion",
            self._settings.stale_if_error_s,
            parts=lambda key: key,
            body=_body,
            read=lambda key, body: read_promotion(body, key[1]),
            indexes=indexes,
        )

    def pages(self) -> SharedLevel[PageCacheKey, Answer[records.PromotionPage]] | None:
        def indexes(
            key: PageCacheKey, answer: Answer[records.PromotionPage]
        ) -> Iterable[tuple[str, ...]]:
            _, query = key
            named: set[tuple[str, ...]] = {("all",)}
            if query.filter.program_id is not None:
                named.add(("program", query.filter.program_id))
            for listed in answer.record.promotions:
                named.add(("program", listed.program_id))
                named.add(("promotion", listed.program_id, listed.id))
            return sorted(named)

        return self._level(
            "page",
            self._settings.stale_if_error_s,
            parts=lambda key: (key[0], self._digest(promotion_page_params(key[1]))),
            body=_body,
            read=lambda _key, body: read_promotion_page(body),
            indexes=indexes,
        )

    def customers(self) -> SharedLevel[CustomerCacheKey, Answer[records.CustomerPage]] | None:
        def indexes(
            _key: CustomerCacheKey, answer: Answer[records.CustomerPage]
        ) -> Iterable[tuple[str, ...]]:
            named: set[tuple[str, ...]] = {("all",)}
            for held in answer.record.promotions:
                named.add(("program", held.program_id))
                named.add(("promotion", held.program_id, held.promotion_id))
            return sorted(named)

        return self._level(
            "customer",
            0.0,
            parts=lambda key: (key[0], self._digest(customer_promotions_params(key[1]))),
            body=_body,
            read=lambda _key, body: read_customer_page(body),
            indexes=indexes,
        )


def _names_promotion(
    target: PurgeTarget, key: PromotionCacheKey, _answer: Answer[records.Promotion]
) -> bool:
    return target.names(key[1], key[2])


def _names_page(
    target: PurgeTarget, key: PageCacheKey, answer: Answer[records.PromotionPage]
) -> bool:
    return target.names_page(key[1].filter.program_id, answer.record)


def _names_customer(
    target: PurgeTarget, _key: CustomerCacheKey, answer: Answer[records.CustomerPage]
) -> bool:
    return target.names_customer(answer.record)


def _body(answer: Answer[Any]) -> bytes:
    return answer.body


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
    settings: Settings,
    fresh_until: FreshUntil[Answer[R]],
    on_event: OnEvent | None,
    *,
    max_bytes: int,
    shared: SharedLevel[K, Answer[R]] | None,
    watch_purges: Callable[[], Callable[[K, Answer[R]], bool]],
) -> ResultCache[K, Answer[R]]:
    return ResultCache(
        on_event=on_event,
        ttl_s=settings.cache_ttl_s,
        max_entries=settings.cache_max_entries,
        max_bytes=max_bytes,
        stale_s=settings.stale_if_error_s,
        refresh_ahead_s=settings.cache_refresh_ahead_s,
        refresh_budget_s=settings.operation_timeout_s,
        fresh_until=fresh_until,
        weigh=answer_size,
        shared=shared,
        watch_purges=watch_purges,
    )
