"""The one client of the vendor's loyalty API: URLs, query parameters, credentials,
deadlines and the mapping of upstream failures onto the gateway's errors."""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from gateway import errors
from gateway.credentials import Credential
from gateway.settings import Settings
from gateway.upstream import parsing, records
from gateway.upstream.queries import CustomerPromotionsQuery, PromotionPageQuery

logger = logging.getLogger(__name__)


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
    errors.Unauthenticated: "The upstream rejected the credentials (send an Authorization header).",
    errors.Forbidden: "The credentials may not read this resource.",
    errors.RateLimited: "The upstream's rate limit was reached; retry later.",
    errors.UpstreamUnavailable: "The upstream is unavailable.",
    errors.UpstreamBadResponse: "The upstream sent a response the gateway cannot read.",
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
    """Typed calls to the three endpoints over one shared httpx client."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self._http = http
        self._settings = settings

    async def promotion(
        self, credential: Credential, program_id: str, promotion_id: str
    ) -> records.Promotion:
        path = self._settings.promotion_path.format(
            programId=quote(program_id, safe=""), promotionId=quote(promotion_id, safe="")
        )
        body = await self._get(Endpoint.PROMOTION, path, {}, credential)
        return parsing.parse_promotion(body, program_id)

    async def promotion_page(
        self, credential: Credential, query: PromotionPageQuery
    ) -> records.PromotionPage:
        path = self._settings.promotion_list_path
        body = await self._get(
            Endpoint.PROMOTION_LIST, path, promotion_page_params(query), credential
        )
        return parsing.parse_promotion_page(body)

    async def customer_promotions(
        self, credential: Credential, query: CustomerPromotionsQuery
    ) -> records.CustomerPage:
        path = self._settings.customer_promotions_path
        params = customer_promotions_params(query)
        body = await self._get(Endpoint.CUSTOMER_PROMOTIONS, path, params, credential)
        return parsing.parse_customer_page(body)

    async def _get(
        self, endpoint: Endpoint, path: str, params: Mapping[str, str], credential: Credential
    ) -> object:
        headers = {"Accept": "application/json"}
        if credential.authorization is not None:
            headers["Authorization"] = credential.authorization
        started = time.perf_counter()
        try:
            # httpx's timeouts are per phase: a slow-drip body outlives them. One
            # deadline covers connect, headers and the whole body.
            async with asyncio.timeout(self._settings.upstream_timeout_s):
                response = await self._http.get(path, params=params, headers=headers)
        except (TimeoutError, httpx.TimeoutException):
            logger.warning("upstream %s timed out", endpoint.value)
            raise errors.UpstreamTimeout(
                f"The upstream did not answer within {self._settings.upstream_timeout_s:g} s."
            ) from None
        except httpx.HTTPError as error:
            logger.warning("upstream %s failed: %s", endpoint.value, type(error).__name__)
            raise _error(errors.UpstreamUnavailable) from None
        logger.debug(
            "upstream %s -> %s in %.1f ms",
            endpoint.value,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return _checked_body(endpoint, response)


def _checked_body(endpoint: Endpoint, response: httpx.Response) -> object:
    status = response.status_code
    try:
        body: object = json.loads(response.content)
    except ValueError:
        body = None
        if status < 400:
            raise _error(errors.UpstreamBadResponse) from None
    problem = parsing.body_error(body)
    if status < 400 and problem is None:
        return body
    code = problem.code if problem else None
    kind = _error_kind(endpoint, status, code)
    details: dict[str, object] = {}
    if kind is errors.RateLimited:
        retry_after = _retry_after(response.headers.get("Retry-After"))
        if retry_after is not None:
            details["retryAfter"] = retry_after
    raise _error(kind, upstream_code=code, details=details)


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


def _retry_after(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())
