"""The one client of the vendor's loyalty API: URLs, query parameters, credentials,
deadlines and the mapping of upstream failures onto the gateway's errors."""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode

import httpx

from gateway import errors, jsonio
from gateway.breaker import BreakerState, CircuitBreaker
from gateway.credentials import Credential
from gateway.deadline import Deadline
from gateway.fleet import Fleet
from gateway.observability import BREAKER_STATES, Metrics, Tracing, UpstreamCall, mark_failed
from gateway.settings import Settings
from gateway.upstream import _parsing as parsing
from gateway.upstream import records
from gateway.upstream._answers import Answer
from gateway.upstream._calls import Caller
from gateway.upstream._rate_limit import UpstreamRateLimit
from gateway.upstream._retries import RetryBudget, backoff_s
from gateway.upstream._slots import CallSlots
from gateway.upstream.queries import CustomerPromotionsQuery, PromotionPageQuery

logger = logging.getLogger("gateway.upstream.client")


class Endpoint(enum.Enum):
    PROMOTION = "promotion"
    PROMOTION_LIST = "promotion_list"
    CUSTOMER_PROMOTIONS = "customer_promotions"


_ERROR_BY_UPSTREAM_CODE: dict[int, type[errors.GatewayError]] = {
    4029: errors.PromotionNotFound,
    2010: errors.ProgramNotFound,
    8015: errors.CustomerNotFound,
    8003: errors.BadUserInput,
    8013: errors.BadUserInput,
    **{code: errors.BadUserInput for code in range(4050, 4058)},
}

_MESSAGES: dict[type[errors.GatewayError], str] = {
    errors.PromotionNotFound: "Promotion not found.",
    errors.ProgramNotFound: "Program not found.",
    errors.CustomerNotFound: "Customer not found for the given identifier.",
    errors.BadUserInput: "The upstream rejected the request's arguments.",
    errors.Unauthenticated: "The upstream rejected the credential in the `Authorization` header "
    "(check its value, or whether it has expired).",
    errors.Forbidden: "The credentials may not read this resource.",
    errors.RateLimited: "The upstream's rate limit was reached; retry later.",
    errors.UpstreamUnavailable: "The upstream is unavailable.",
    errors.UpstreamBadResponse: "The upstream sent a response the gateway cannot read.",
}

# When no credential was sent at all: the client sent none and no default is configured.
_NO_CREDENTIAL = (
    "No credential: send an `Authorization` header (the gateway has no default credential, "
    "UPSTREAM_AUTHORIZATION)."
)
# When the client sent none and the gateway's configured default was rejected.
_CONFIGURED_REJECTED = (
    "The upstream rejected the gateway's configured default credential "
    "(UPSTREAM_AUTHORIZATION), used because the request sent no `Authorization` header: "
    "the gateway's operator has to renew or correct it; meanwhile, send your own "
    "`Authorization` header."
)

# Sent with every call (httpx.AsyncClient's defaults, under the gateway's name).
_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
    "User-Agent": "promotions-gateway",
}

_NOT_FOUND_BY_ENDPOINT: dict[Endpoint, type[errors.GatewayError]] = {
    Endpoint.PROMOTION: errors.PromotionNotFound,
    Endpoint.CUSTOMER_PROMOTIONS: errors.CustomerNotFound,
    Endpoint.PROMOTION_LIST: errors.UpstreamBadResponse,
}

_ACTIVITY = {
    records.PromotionActivity.CUSTOMER_REGISTRATION: "CustomerRegistration",
    records.PromotionActivity.CUSTOMER_UPDATE: "CustomerUpdate",
    records.PromotionActivity.GENERIC_EVENT: "GenericEvent",
    records.PromotionActivity.NEW_BILL: "NewBill",
    records.PromotionActivity.POINTS_CONTRIBUTION_TO_GROUP: "PointsContributionToGroup",
    records.PromotionActivity.POINTS_TRANSFER: "PointsTransfer",
    records.PromotionActivity.RETURN_BILL: "ReturnBill",
    records.PromotionActivity.TARGET_COMPLETED: "TargetCompleted",
    records.PromotionActivity.TRANSACTION_ADD: "TransactionAdd",
    records.PromotionActivity.ALL: "ALL",
}

_IDENTIFIER_NAME = {
    records.CustomerIdentifierType.MOBILE: "mobile",
    records.CustomerIdentifierType.EMAIL: "email",
    records.CustomerIdentifierType.EXTERNAL_ID: "externalId",
    records.CustomerIdentifierType.ID: "id",
    records.CustomerIdentifierType.CUID: "cuid",
}

# The customer filter spells the promotion types differently from the responses.
_CUSTOMER_PROMOTION_TYPE = {
    records.PromotionType.GENERIC: "GENERIC",
    records.PromotionType.LOYALTY: "DIRECT_ISSUE",
    records.PromotionType.LOYALTY_EARNING: "ENROL_AND_ISSUE",
}


def upstream_date(moment: datetime) -> str:
    """The list filter's ISO 8601 form, e.g. 2024-04-04T00:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def promotion_page_params(query: PromotionPageQuery) -> dict[str, str]:
    found = query.filter
    params = {"limit": str(query.size), "offset": str(query.page)}
    if found.program_id is not None:
        params["program"] = found.program_id
    if found.status is not None:
        params["status"] = found.status.value
    if found.activity is not None:
        params["activity"] = _ACTIVITY[found.activity]
    if found.name is not None:
        params["promotionName"] = found.name
    if found.start_date is not None and found.end_date is not None:
        params["startDate"] = upstream_date(found.start_date)
        params["endDate"] = upstream_date(found.end_date)
    return params


def customer_promotions_params(query: CustomerPromotionsQuery) -> dict[str, str]:
    params = {
        "identifierName": _IDENTIFIER_NAME[query.customer.identifier_type],
        "identifierValue": query.customer.identifier_value,
        "source": query.customer.source.value,
        "limit": str(query.limit),
        "offset": str(query.start),
    }
    if query.status is not None:
        params["promotionStatusForCustomer"] = query.status.value
    if query.type is not None:
        params["promotionType"] = _CUSTOMER_PROMOTION_TYPE[query.type]
    if query.source_type is not None:
        params["sourceType"] = query.source_type.value
    if query.program_ids:
        params["programs"] = ",".join(query.program_ids)
    if query.fetch_all_usage:
        params["fetchAllUsage"] = "true"
    return params


class UpstreamClient:
    """Typed calls to the three endpoints, sent through one shared httpx transport.

    Every call ends by its caller's deadline. On the way out it passes the
    endpoint's circuit breaker, the credential's rate limit and the bound on
    calls in flight; failures that may pass (connection errors, 502, 503, 504,
    429) are retried with backoff, within the deadline and the retry budget.
    Each call is reported to its caller (explain mode, logs) and to the metrics.

    Requests go to the transport itself, not through an `httpx.AsyncClient`: a
    client keeps the cookies any response sets and sends them with every later
    request, whatever its credential; it also spends a third of an upstream
    call's CPU merging URLs, headers and cookies.
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        settings: Settings,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
        fleet: Fleet | None = None,
    ) -> None:
        if settings.upstream_url is None:
            raise ValueError("the upstream client needs settings.upstream_url")
        self._transport = transport
        self._base_url = settings.upstream_url.rstrip("/")
        self._timeout = httpx.Timeout(settings.upstream_timeout_s).as_dict()
        self._settings = settings
        self._metrics = metrics
        self._tracing = tracing or Tracing()
        self.breakers = {
            endpoint: CircuitBreaker(
                failure_threshold=settings.breaker_failure_threshold,
                open_s=settings.breaker_open_s,
                on_change=self._breaker_changed(endpoint),
            )
            for endpoint in Endpoint
        }
        self.retry_budget = RetryBudget(ratio=settings.upstream_retry_budget)
        # The quota is the fleet's, shared in Redis with a fleet; this process's share without.
        self.rate_limit = UpstreamRateLimit(
            calls_per_s=settings.upstream_rate_per_worker,
            fleet=fleet,
            fleet_calls_per_s=settings.upstream_rate_limit_per_min / 60,
            max_wait_s=settings.upstream_rate_limit_max_wait_s,
            on_refusal=metrics.rate_limited.labels("upstream").inc if metrics else None,
        )
        self.slots = CallSlots(
            limit=settings.upstream_max_concurrency, max_queue=settings.upstream_max_queue
        )

    async def promotion(
        self, credential: Credential, program_id: str, promotion_id: str, caller: Caller
    ) -> records.Promotion:
        return (await self.promotion_answer(credential, program_id, promotion_id, caller)).record

    async def promotion_answer(
        self, credential: Credential, program_id: str, promotion_id: str, caller: Caller
    ) -> Answer[records.Promotion]:
        """The promotion, with the JSON it was read from (for the caches)."""
        path = self._settings.promotion_path.format(
            programId=quote(program_id, safe=""), promotionId=quote(promotion_id, safe="")
        )
        shown = {"programId": program_id, "promotionId": promotion_id}
        body = await self._get(Endpoint.PROMOTION, path, {}, credential, caller, shown)
        return Answer(parsing.parse_promotion(body, program_id), jsonio.dumps(body))

    async def promotion_page(
        self, credential: Credential, query: PromotionPageQuery, caller: Caller
    ) -> records.PromotionPage:
        return (await self.promotion_page_answer(credential, query, caller)).record

    async def promotion_page_answer(
        self, credential: Credential, query: PromotionPageQuery, caller: Caller
    ) -> Answer[records.PromotionPage]:
        """The list page, with the JSON it was read from (for the caches)."""
        path = self._settings.promotion_list_path
        params = promotion_page_params(query)
        body = await self._get(Endpoint.PROMOTION_LIST, path, params, credential, caller, params)
        return Answer(parsing.parse_promotion_page(body), jsonio.dumps(body))

    async def customer_promotions(
        self, credential: Credential, query: CustomerPromotionsQuery, caller: Caller
    ) -> records.CustomerPage:
        path = self._settings.customer_promotions_path
        params = customer_promotions_params(query)
        body = await self._get(
            Endpoint.CUSTOMER_PROMOTIONS, path, params, credential, caller, params
        )
        return parsing.parse_customer_page(body)

    async def customer_promotions_answer(
        self, credential: Credential, query: CustomerPromotionsQuery, caller: Caller
    ) -> Answer[records.CustomerPage]:
        """The customer lookup, with the JSON it was read from (for a shared cache)."""
        path = self._settings.customer_promotions_path
        params = customer_promotions_params(query)
        body = await self._get(
            Endpoint.CUSTOMER_PROMOTIONS, path, params, credential, caller, params
        )
        return Answer(parsing.parse_customer_page(body), jsonio.dumps(body))

    async def _get(
        self,
        endpoint: Endpoint,
        path: str,
        params: Mapping[str, str],
        credential: Credential,
        caller: Caller,
        shown: Mapping[str, str],
    ) -> object:
        call = UpstreamCall(endpoint.value, dict(shown), caller.cache)
        if caller.calls is not None:
            caller.calls.append(call)
        self.retry_budget.record_call()
        headers = dict(caller.headers)
        started = call.started
        with self._tracing.upstream_call(endpoint.value, headers) as span:
            try:
                while True:
                    try:
                        return await self._attempt(
                            _Outgoing(endpoint, path, params, credential, caller, call, headers)
                        )
                    except _Failure as failure:
                        delay_s = self._retry_delay(failure, call.retries, caller.deadline)
                        if delay_s is None:
                            raise failure.error from None
                        call.retries += 1
                        logger.info(
                            "upstream %s: %s, retry %d in %.0f ms",
                            endpoint.value,
                            failure.error.code,
                            call.retries,
                            delay_s * 1000,
                        )
                        await asyncio.sleep(delay_s)
            except errors.GatewayError as error:
                call.error = error.code
                mark_failed(span, error.code)
                raise
            finally:
                call.duration_ms = round((time.perf_counter() - started) * 1000, 2)
                if span is not None:
                    span.set_attribute("http.response.status_code", str(call.status))
                    span.set_attribute("gateway.upstream.retries", call.retries)

    def _retry_delay(self, failure: _Failure, retries: int, deadline: Deadline) -> float | None:
        """How long to wait before retrying, or None: do not retry."""
        settings = self._settings
        if not failure.retryable or retries >= settings.upstream_max_retries:
            return None
        if failure.retry_after_s is not None:
            if failure.retry_after_s > settings.upstream_retry_after_max_s:
                return None
            delay_s = failure.retry_after_s
        else:
            delay_s = backoff_s(retries, settings.upstream_retry_base_s)
        # A retry must have time left to succeed in.
        if delay_s >= deadline.remaining() or not self.retry_budget.try_spend():
            return None
        return delay_s

    async def _attempt(self, outgoing: _Outgoing) -> object:
        endpoint, credential, deadline = outgoing.endpoint, outgoing.credential, outgoing.deadline
        breaker = self.breakers[endpoint]
        if not breaker.admit():
            outgoing.call.status = "breaker_open"
            raise errors.UpstreamUnavailable(
                "The upstream is failing; the gateway is not calling it for now.",
                details={"retryAfter": max(1, math.ceil(breaker.retry_in()))},
            )
        try:
            await self.rate_limit.acquire(
                credential.fingerprint, deadline, background=outgoing.caller.background
            )
            async with self.slots.hold(deadline):
                response = await self._exchange(outgoing)
            body = _checked_body(endpoint, response)
        except _Failure as failure:
            if failure.error.code == errors.Unauthenticated.code:
                if credential.authorization is None:
                    failure.error = errors.Unauthenticated(_NO_CREDENTIAL)
                elif credential.configured:
                    failure.error = errors.Unauthenticated(_CONFIGURED_REJECTED)
            breaker.record(failed=failure.breaker_failure)
            if failure.error.code == errors.RateLimited.code:
                await self.rate_limit.throttle(credential.fingerprint, failure.retry_after_s)
            raise
        except BaseException:
            breaker.release()
            raise
        breaker.record(failed=False)
        return body

    async def _exchange(self, outgoing: _Outgoing) -> _Response:
        """One HTTP exchange, the body read in full (and capped) by the deadline."""
        endpoint, credential, call = outgoing.endpoint, outgoing.credential, outgoing.call
        headers = {**_HEADERS, **outgoing.headers}
        if credential.authorization is not None:
            headers["Authorization"] = credential.authorization
        url = self._base_url + outgoing.path
        if outgoing.params:
            url += "?" + urlencode(outgoing.params)  # as httpx.QueryParams spells them
        timeout_s = min(self._settings.upstream_timeout_s, outgoing.deadline.remaining())
        started = time.perf_counter()
        metrics = self._metrics
        if metrics is not None:
            metrics.upstream_in_flight.inc()
        try:
            # httpx's timeouts are per phase: a slow-drip body outlives them. One
            # deadline covers the wait for a connection, the headers and the whole body.
            async with asyncio.timeout(timeout_s):
                request = httpx.Request(
                    "GET", url, headers=headers, extensions={"timeout": self._timeout}
                )
                response = await self._transport.handle_async_request(request)
                call.status = response.status_code
                try:
                    content = await _read_capped(response, self._settings.upstream_max_body_bytes)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            logger.warning("upstream %s timed out", endpoint.value)
            call.status = "timeout"
            raise _Failure(_timeout(timeout_s, outgoing.deadline), breaker_failure=True) from None
        except httpx.HTTPError as error:
            logger.warning("upstream %s failed: %s", endpoint.value, type(error).__name__)
            call.status = "unreachable"
            raise _Failure(
                _error(errors.UpstreamUnavailable), retryable=True, breaker_failure=True
            ) from None
        finally:
            elapsed_s = time.perf_counter() - started
            if metrics is not None:
                metrics.upstream_in_flight.dec()
                metrics.upstream_calls.labels(endpoint.value, str(call.status)).inc()
                metrics.upstream_seconds.labels(endpoint.value).observe(elapsed_s)
        logger.debug(
            "upstream %s -> %s in %.1f ms", endpoint.value, response.status_code, elapsed_s * 1000
        )
        return _Response(response.status_code, response.headers.get("Retry-After"), content)

    def _breaker_changed(self, endpoint: Endpoint) -> Callable[[BreakerState], None]:
        def changed(state: BreakerState) -> None:
            logger.warning("upstream %s: circuit %s", endpoint.value, state.value)
            if self._metrics is not None:
                value = BREAKER_STATES[state.value]
                self._metrics.breaker_state.labels(endpoint.value).set(value)

        return changed


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """One upstream request, as each attempt at it sends it."""

    endpoint: Endpoint
    path: str
    params: Mapping[str, str]
    credential: Credential
    caller: Caller
    call: UpstreamCall
    headers: dict[str, str]

    @property
    def deadline(self) -> Deadline:
        return self.caller.deadline


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    retry_after: str | None
    content: bytes


class _Failure(Exception):
    """A failed attempt: the error to report, and what it says about retrying."""

    def __init__(
        self,
        error: errors.GatewayError,
        *,
        retryable: bool = False,
        breaker_failure: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.retryable = retryable
        self.breaker_failure = breaker_failure
        self.retry_after_s = retry_after_s


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _Failure(_too_large(limit))
    chunks: list[bytes] = []
    size = 0
    # Decoded bytes are counted: a compressed body cannot inflate past the limit either.
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise _Failure(_too_large(limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> errors.GatewayError:
    return errors.UpstreamBadResponse(
        f"The upstream sent a body larger than the gateway accepts ({limit} bytes)."
    )


def _timeout(timeout_s: float, deadline: Deadline) -> errors.GatewayError:
    if deadline.expired():
        return errors.UpstreamTimeout(
            "The operation's time budget ran out before the upstream answered."
        )
    return errors.UpstreamTimeout(f"The upstream did not answer within {timeout_s:g} s.")


# Statuses after which the same request may well succeed.
_RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


def _checked_body(endpoint: Endpoint, response: _Response) -> object:
    status = response.status
    try:
        body: object = jsonio.loads(response.content)
    except ValueError:
        body = None
        if status < 400:
            raise _Failure(_error(errors.UpstreamBadResponse)) from None
    problem = parsing.body_error(body)
    if status < 400 and problem is None:
        return body
    code = problem.code if problem else None
    kind = _error_kind(endpoint, status, code)
    details: dict[str, object] = {}
    retry_after_s = retry_after(response.retry_after)
    if retry_after_s is not None and (status in _RETRYABLE_STATUSES or kind is errors.RateLimited):
        details["retryAfter"] = max(1, math.ceil(retry_after_s))
    raise _Failure(
        _error(kind, upstream_code=code, details=details),
        retryable=status in _RETRYABLE_STATUSES,
        breaker_failure=status >= 500,
        retry_after_s=retry_after_s,
    )


def _error_kind(endpoint: Endpoint, status: int, code: int | None) -> type[errors.GatewayError]:
    if status == 401:
        return errors.Unauthenticated
    if status == 403:
        return errors.Forbidden
    if status == 429:
        return errors.RateLimited
    if code is not None and code in _ERROR_BY_UPSTREAM_CODE:
        return _ERROR_BY_UPSTREAM_CODE[code]
    if status >= 500:
        return errors.UpstreamUnavailable
    if status == 404:
        return _NOT_FOUND_BY_ENDPOINT[endpoint]
    if status == 400:
        return errors.BadUserInput
    return errors.UpstreamBadResponse


def _error(
    kind: type[errors.GatewayError],
    *,
    upstream_code: int | None = None,
    details: dict[str, object] | None = None,
) -> errors.GatewayError:
    return kind(_MESSAGES[kind], upstream_code=upstream_code, details=details)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
