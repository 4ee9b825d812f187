"""A faithful simulator of the vendor's three promotion endpoints.

Same paths, parameters, paging semantics (list: page NUMBER; customer: start
INDEX), validation and error codes, HTTP Basic auth with demo credentials.
An admin API under /__sandbox/ injects latency and faults and reports calls per
endpoint, per promotion and the most calls in flight at once.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from sandbox import views
from sandbox.data import PROGRAMS, Dataset, Promotion, build


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


DEMO_AUTHORIZATION = basic("demo", "sandbox")
BRAND_B_AUTHORIZATION = basic("brand-b", "sandbox")
# Each credential is a tenant; brand B sees the same records under its own names.
TENANTS = {
    DEMO_AUTHORIZATION: ("demo", ""),
    BRAND_B_AUTHORIZATION: ("brand-b", "[B] "),
    "Bearer sandbox-token": ("demo", ""),
}

PROMOTION_PATH = "/v1/api_gateway/loyalty/v1/programs/{program_id}/promotions/{promotion_id}"
LIST_PATH = "/api_gateway/loyalty/v1/programs/promotions/list"
CUSTOMER_PATH = "/v2/customers/lookup/promotionData"

LIST_PARAMS = {
    "limit",
    "offset",
    "program",
    "status",
    "activity",
    "startDate",
    "endDate",
    "promotionName",
}
ACTIVITIES = {
    "CustomerRegistration": "CUSTOMERREGISTRATION",
    "CustomerUpdate": "CUSTOMERUPDATE",
    "GenericEvent": "GENERICEVENT",
    "NewBill": "NEWBILL",
    "PointsContributionToGroup": "POINTSCONTRIBUTIONTOGROUP",
    "PointsTransfer": "POINTSTRANSFER",
    "ReturnBill": "RETURNBILL",
    "TargetCompleted": "TARGETCOMPLETED",
    "TransactionAdd": "TRANSACTIONADD",
}
IDENTIFIER_NAMES = {"mobile", "email", "externalId", "id", "cuid"}
SOURCES = {
    "FACEBOOK",
    "WEB_ENGAGE",
    "INSTORE",
    "MARTJACK",
    "TMALL",
    "TAOBAO",
    "JD",
    "ECOMMERCE",
    "WEBSITE",
    "LINE",
    "ALL",
}
CUSTOMER_TYPES = {
    "GENERIC": "GENERIC",
    "DIRECT_ISSUE": "LOYALTY",
    "ENROL_AND_ISSUE": "LOYALTY_EARNING",
}


@dataclass
class Fault:
    """What to do instead of (or before) answering. `times`: how many calls, None for all."""

    status: int | None = None
    code: int | None = None  # the vendor error code to answer with (in the `errors` envelope)
    body: str | None = None  # html | truncated | errors200 | wrongtypes | empty | huge
    hang_s: float = 0.0
    delay_ms: int = 0
    drip_ms: int = 0
    retry_after: str | None = None
    times: int | None = None


@dataclass
class Stats:
    calls: Counter[str] = field(default_factory=Counter)
    calls_by_promotion: Counter[str] = field(default_factory=Counter)
    calls_by_tenant: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    max_in_flight: Counter[str] = field(default_factory=Counter)
    requests: list[dict[str, Any]] = field(default_factory=list)


class Sandbox:
    def __init__(self, dataset: Dataset | None = None) -> None:
        self.dataset = dataset or build()
        self.latency_ms = 0
        self.errors_as_200 = False
        self.endpoint_faults: dict[str, Fault] = {}
        self.promotion_faults: dict[str, Fault] = {}
        # Promotions renamed through the admin API (a vendor-side change), until reset.
        self.renamed: dict[int, str] = {}
        self.stats = Stats()

    def reset(self) -> None:
        self.latency_ms = 0
        self.errors_as_200 = False
        self.endpoint_faults.clear()
        self.promotion_faults.clear()
        self.renamed.clear()
        self.stats = Stats()

    def take_fault(self, endpoint: str, promotion_id: str | None) -> Fault | None:
        for faults, key in (
            (self.promotion_faults, promotion_id),
            (self.endpoint_faults, endpoint),
        ):
            fault = faults.get(key) if key is not None else None
            if fault is None:
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del faults[key]  # type: ignore[arg-type]
            return fault
        return None

    def current(self, promotion: Promotion) -> Promotion:
        """The promotion as it is now (renamed, if it was)."""
        name = self.renamed.get(promotion.id)
        return promotion if name is None else replace(promotion, name=name)


def _error(sandbox: Sandbox, status: int, code: int, message: str, style: str) -> Response:
    return JSONResponse(
        views.error(code, message, style), status_code=200 if sandbox.errors_as_200 else status
    )


async def _faulty(fault: Fault) -> Response | None:
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    if fault.hang_s:
        await asyncio.sleep(fault.hang_s)
    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
    status = fault.status or 200
    if fault.body == "html":
        return Response(
            "<html><body><h1>502 Bad Gateway</h1></body></html>", status, headers, "text/html"
        )
    if fault.body == "truncated":
        return Response(
            '{"status": {"code": 200}, "data": [{"id": 1, "na', status, headers, "application/json"
        )
    if fault.body == "errors200":
        return JSONResponse(
            {"errors": [{"code": 9999, "message": "internal failure"}]}, status, headers
        )
    if fault.body == "wrongtypes":
        return JSONResponse(
            {"data": "unexpected", "customerId": {"x": 1}, "promotions": 7}, status, headers
        )
    if fault.body == "empty":
        return Response(b"", status, headers, "application/json")
    if fault.body == "huge":
        return Response(
            b'{"data": [' + b'{"id": 1},' * 500_000 + b'{"id": 2}]}',
            status,
            headers,
            "application/json",
        )
    if fault.status is not None:
        return JSONResponse(
            {"errors": [{"code": fault.status, "message": "injected"}]}, status, headers
        )
    return None


def _drip(response: Response, drip_ms: int) -> Response:
    body = bytes(response.body)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64):
            yield body[start : start + 64]
            await asyncio.sleep(drip_ms / 1000)

    return StreamingResponse(chunks(), response.status_code, media_type="application/json")


MAX_RENDERED = 5000


def create_app(sandbox: Sandbox | None = None) -> Starlette:
    state = sandbox or Sandbox()

    async def serve(
        request: Request, endpoint: str, promotion_id: str | None, answer: Any
    ) -> Response:
        stats = state.stats
        stats.calls[endpoint] += 1
        if promotion_id is not None:
            stats.calls_by_promotion[promotion_id] += 1
        authorization = request.headers.get("authorization", "")
        tenant, prefix = TENANTS.get(
            authorization, ("anonymous" if not authorization else "invalid", "")
        )
        stats.calls_by_tenant[tenant] += 1
        stats.in_flight[endpoint] += 1
        stats.max_in_flight[endpoint] = max(
            stats.max_in_flight[endpoint], stats.in_flight[endpoint]
        )
        started = time.monotonic()
        try:
            if state.latency_ms:
                await asyncio.sleep(state.latency_ms / 1000)
            fault = state.take_fault(endpoint, promotion_id)
            response = await _faulty(fault) if fault else None
            if response is None:
                if authorization not in TENANTS:
                    response = JSONResponse(
                        {"errors": [{"code": 401, "message": "Unauthorized"}]}, 401
                    )
                else:
                    response = answer(request, prefix)
            if fault and fault.drip_ms:
                response = _drip(response, fault.drip_ms)
            return response
        finally:
            stats.in_flight[endpoint] -= 1
            if len(stats.requests) < 5000:
                stats.requests.append(
                    {
                        "endpoint": endpoint,
                        "params": dict(request.query_params),
                        "promotionId": promotion_id,
                        "tenant": tenant,
                        "requestId": request.headers.get("x-request-id"),
                        "traceparent": request.headers.get("traceparent"),
                        "started": started,
                        "ended": time.monotonic(),
                    }
                )

    def promotion_answer(program_id: str, promotion_id: str) -> Any:
        def answer(_request: Request, prefix: str) -> Response:
            if program_id not in PROGRAMS:
                return _error(state, 404, 2010, "Program ID is invalid.", "status")
            found = (
                state.dataset.promotions.get(int(promotion_id)) if promotion_id.isdigit() else None
            )
            if found is None or str(found.program_id) != program_id:
                return _error(state, 404, 4029, "Promotion ID is invalid.", "status")
            return JSONResponse(views.promotion_by_id(state.current(found), prefix))

        return answer

    async def promotion(request: Request) -> Response:
        program_id = request.path_params["program_id"]
        promotion_id = request.path_params["promotion_id"]
        return await serve(
            request, "promotion", promotion_id, promotion_answer(program_id, promotion_id)
        )

    def list_answer(request: Request, prefix: str) -> Response:
        q = request.query_params
        if set(q) - LIST_PARAMS:
            return _error(state, 400, 4050, "Parameters passed are not supported.", "status")
        if "limit" not in q and "offset" not in q:
            return _error(state, 400, 4056, "offset and limit query parameters missing.", "status")
        if "limit" not in q or "offset" not in q:
            return _error(state, 400, 4054, "offset or limit missing.", "status")
        if not q["limit"].isdigit() or not q["offset"].isdigit():
            return _error(state, 400, 4050, "offset and limit must be numbers.", "status")
        limit, page = int(q["limit"]), int(q["offset"])
        if limit > 100:
            return _error(state, 400, 4055, "Value of limit is greater than 100.", "status")
        if ("startDate" in q) != ("endDate" in q):
            return _error(state, 400, 4053, "startDate or endDate missing.", "status")
        selected = sorted(state.dataset.promotions.values(), key=lambda p: -p.id)
        if "program" in q:
            if q["program"] not in PROGRAMS:
                return _error(state, 400, 2010, "Program ID is incorrect.", "status")
            selected = [p for p in selected if str(p.program_id) == q["program"]]
        if "status" in q:
            if q["status"] not in {"COMPLETED", "LIVE", "UPCOMING", "INACTIVE"}:
                return _error(state, 400, 4052, "status is invalid.", "status")
            selected = [p for p in selected if p.status == q["status"]]
        if "activity" in q and q["activity"] != "ALL":
            if q["activity"] not in ACTIVITIES:
                return _error(state, 400, 4050, "activity is invalid.", "status")
            selected = [p for p in selected if p.event_name == ACTIVITIES[q["activity"]]]
        if "promotionName" in q:
            selected = [p for p in selected if p.name == q["promotionName"]]
        if "startDate" in q:
            try:
                start = datetime.fromisoformat(q["startDate"])
                end = datetime.fromisoformat(q["endDate"])
                start, end = (m if m.tzinfo else m.replace(tzinfo=UTC) for m in (start, end))
            except ValueError:
                return _error(
                    state, 400, 4057, "startDate or endDate not in the correct format.", "status"
                )
            selected = [p for p in selected if p.start <= end and p.end >= start]
        window = selected[page * limit : (page + 1) * limit]
        items = [views.promotion_listed(state.current(p), prefix) for p in window]
        return JSONResponse(views.promotion_list(items, page, limit, len(selected)))

    async def promotion_list(request: Request) -> Response:
        return await serve(request, "promotion_list", None, list_answer)

    # Customer answers rendered once per (tenant, query string): the dataset never
    # changes, and rendering 50 promotions costs more CPU than a benchmark should give
    # the upstream on a machine it shares with the gateway. The status filter reads
    # the clock, so those answers are always rendered.
    rendered: dict[tuple[str, str], bytes] = {}

    def customer_answer(request: Request, prefix: str) -> Response:
        q = request.query_params
        key = (prefix, request.url.query)
        timeless = "promotionStatusForCustomer" not in q
        if timeless and key in rendered:
            return Response(rendered[key], media_type="application/json")
        if q.get("identifierName") not in IDENTIFIER_NAMES:
            return _error(state, 400, 8013, "Identifier name missing or incorrect.", "errors")
        if q.get("source") not in SOURCES:
            return _error(state, 400, 8003, "Invalid source", "errors")
        customer = state.dataset.customer_by(q["identifierName"], q.get("identifierValue", ""))
        if customer is None:
            return _error(
                state, 404, 8015, "Customer not found for the given identifiers", "errors"
            )
        limit_text, offset_text = q.get("limit", "10"), q.get("offset", "0")
        if not limit_text.isdigit() or not offset_text.isdigit() or int(limit_text) > 100:
            return _error(
                state, 400, 8099, "limit must be 0..100 and offset not negative.", "errors"
            )
        limit, offset = int(limit_text), int(offset_text)
        now = datetime.now(UTC)
        held = [(state.dataset.promotions[e.promotion_id], e) for e in customer.enrolments]
        status = q.get("promotionStatusForCustomer")
        if status is not None:
            held = [(p, e) for p, e in held if _customer_status_matches(p, e, status, now)]
        if "promotionType" in q:
            if q["promotionType"] not in CUSTOMER_TYPES:
                return _error(state, 400, 8099, "promotionType is invalid.", "errors")
            held = [(p, e) for p, e in held if p.type == CUSTOMER_TYPES[q["promotionType"]]]
        if "sourceType" in q:
            held = [(p, e) for p, e in held if p.source_type == q["sourceType"]]
        if "programs" in q:
            wanted = set(q["programs"].split(","))
            held = [(p, e) for p, e in held if str(p.program_id) in wanted]
        fetch_all = q.get("fetchAllUsage", "false").lower() == "true"
        window = held[offset : offset + limit]
        items = [views.customer_promotion(p, e, prefix, fetch_all) for p, e in window]
        response = JSONResponse(views.customer_page(customer, items, offset, limit, len(held)))
        if timeless and len(rendered) < MAX_RENDERED:
            rendered[key] = bytes(response.body)
        return response

    async def customer_promotions(request: Request) -> Response:
        return await serve(request, "customer_promotions", None, customer_answer)

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def stats(_request: Request) -> Response:
        s = state.stats
        return JSONResponse(
            {
                "calls": dict(s.calls),
                "callsByPromotion": dict(s.calls_by_promotion),
                "callsByTenant": dict(s.calls_by_tenant),
                "inFlight": dict(s.in_flight),
                "maxInFlight": dict(s.max_in_flight),
                "requests": s.requests,
            }
        )

    async def reset(_request: Request) -> Response:
        state.reset()
        return JSONResponse({"status": "reset"})

    async def faults(request: Request) -> Response:
        try:
            spec = json.loads(await request.body() or b"{}")
            if spec.get("clear"):
                state.latency_ms = 0
                state.errors_as_200 = False
                state.endpoint_faults.clear()
                state.promotion_faults.clear()
            if "latency_ms" in spec:
                state.latency_ms = int(spec["latency_ms"])
            if "errors_as_200" in spec:
                state.errors_as_200 = bool(spec["errors_as_200"])
            for name, fault in (spec.get("endpoint") or {}).items():
                state.endpoint_faults[name] = Fault(**fault)
            for promotion_id, fault in (spec.get("promotion") or {}).items():
                state.promotion_faults[str(promotion_id)] = Fault(**fault)
            for promotion_id, name in (spec.get("rename") or {}).items():
                state.renamed[int(promotion_id)] = str(name)
        except (ValueError, TypeError) as error:
            return JSONResponse({"error": str(error)}, 400)
        return JSONResponse(
            {
                "latency_ms": state.latency_ms,
                "errors_as_200": state.errors_as_200,
                "endpoint": {k: asdict(v) for k, v in state.endpoint_faults.items()},
                "promotion": {k: asdict(v) for k, v in state.promotion_faults.items()},
            }
        )

    app = Starlette(
        routes=[
            Route(PROMOTION_PATH, promotion),
            Route(LIST_PATH, promotion_list),
            Route(CUSTOMER_PATH, customer_promotions),
            Route("/__sandbox/health", health),
            Route("/__sandbox/stats", stats),
            Route("/__sandbox/reset", reset, methods=["POST"]),
            Route("/__sandbox/faults", faults, methods=["POST"]),
        ]
    )
    app.state.sandbox = state
    return app


def _customer_status_matches(p: Promotion, e: Any, status: str, now: datetime) -> bool:
    expired = p.end < now
    if status == "EXPIRED":
        return expired
    if expired:
        return False
    if status == "AVAILABLE_TO_REDEEM":
        return p.is_active and p.start <= now
    if status == "AVAILABLE_TO_EARN":
        return p.type == "LOYALTY" or (p.type == "LOYALTY_EARNING" and bool(e.timelines))
    if status == "AVAILABLE_TO_ENROL":
        return p.type == "LOYALTY_EARNING" and not e.timelines
    return False
