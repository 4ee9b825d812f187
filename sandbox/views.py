"""The three endpoints' JSON, written the way the vendor pages show it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.data import PROGRAMS, Customer, Enrolment, Promotion

KPI_BY_NAME = {
    "MAX_NUMBER_OF_ISSUALS_PER_CUSTOMER": ("NUMBER_OF_ISSUALS", "CUSTOMER"),
    "MAX_NUMBER_OF_EARNS_PER_CUSTOMER": ("NUMBER_OF_EARNS", "CUSTOMER"),
    "MAX_POINTS_PER_EARN_PER_CUSTOMER": ("NUMBER_OF_POINTS", "EVENT"),
    "MAX_REDEMPTIONS_PER_EARN_PER_CUSTOMER": ("NUMBER_OF_REDEMPTIONS_PER_EARN", "CUSTOMER"),
}


def date_text(moment: datetime, form: str) -> str:
    """The vendor's several date spellings."""
    moment = moment.astimezone(UTC)
    if form == "minutes" and moment.second == 0:
        return moment.strftime("%Y-%m-%dT%H:%MZ")
    if form == "millis":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if form == "offset":
        from datetime import timedelta, timezone

        return moment.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _common(p: Promotion, name_prefix: str) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": name_prefix + p.name,
        "description": p.description,
        "promotionStatus": p.status,
        "lastUpdateDate": date_text(p.last_update, "seconds"),
        "lastUpdatedBy": 75069206,
        "programName": PROGRAMS[str(p.program_id)],
        "programId": p.program_id,
        "startDate": date_text(p.start, p.date_form),
        "endDate": date_text(p.end, p.date_form),
        "identifier": p.identifier,
        "isActive": p.is_active,
        "eventName": p.event_name,
        "pointsOfferType": p.type,
    }


def promotion_by_id(p: Promotion, name_prefix: str = "") -> dict[str, Any]:
    """GET promotion by id: rules included, the promotion wrapped in `data: [ ... ]`."""
    body = _common(p, name_prefix)
    body.update(
        {
            "rulesetInfos": p.rulesets,
            "allocatePointsOn": p.extra.get("allocatePointsOn", "BILL"),
            "limits": dict(p.limits),
            "useProportions": p.extra.get("useProportions", False),
            "promotionRestrictions": {"restrictions": p.restrictions, **p.settings},
        }
    )
    return {"status": {"code": 200, "message": "success"}, "validationErrors": None, "data": [body]}


def promotion_listed(p: Promotion, name_prefix: str = "") -> dict[str, Any]:
    """One item of the list endpoint: no rules, the list's own extra fields."""
    body = _common(p, name_prefix)
    body["startRuleIdentifier"] = p.extra.get("startRuleIdentifier", f"ruleset_{p.id}")
    body["promotionType"] = p.level
    body["promotionRestrictions"] = {"restrictions": p.restrictions, **p.settings}
    return body


def promotion_list(items: list[dict[str, Any]], page: int, size: int, total: int) -> dict[str, Any]:
    return {
        "status": {"code": 200, "message": "success"},
        "validationErrors": None,
        "data": items,
        "pageDetails": {
            "pageNumber": page,
            "pageSize": size,
            "totalEntries": total,
            "pageCount": -(-total // size) if size else 0,
        },
    }


def _customer_restrictions(p: Promotion, e: Enrolment, fetch_all: bool) -> dict[str, Any]:
    out: dict[str, list[dict[str, Any]]] = {}
    for key in ("issualRestrictions", "earnRestrictions", "redemptionRestrictions"):
        items = []
        for r in p.restrictions.get(key, []):
            kpi, limit_on = KPI_BY_NAME.get(r["name"], ("NUMBER_OF_TIMES", "CUSTOMER"))
            item: dict[str, Any] = {
                "kpi": kpi,
                "maxLimit": str(r["value"]),
                "currentCustomerUsage": e.restriction_usage,
                "limitOn": limit_on,
            }
            if key == "redemptionRestrictions":
                item["type"] = r.get("type", "NON_PERIOD_BASED")
                if r.get("type") == "PERIOD_BASED":
                    item["periodType"] = r["periodType"]
                    item["periodUnit"] = r["periodUnit"]
            items.append(item)
        if key == "redemptionRestrictions" and fetch_all:
            items.append(
                {
                    "kpi": "NUMBER_OF_POINTS",
                    "maxLimit": "-1",
                    "limitOn": "EVENT",
                    "type": "NON_PERIOD_BASED",
                }
            )
        out[key] = items
    return out


def customer_promotion(
    p: Promotion, e: Enrolment, name_prefix: str, fetch_all: bool
) -> dict[str, Any]:
    limits = p.limits
    body: dict[str, Any] = {
        "promotionId": p.id,
        "promotionName": name_prefix + p.name,
        "programId": p.program_id,
        "startDate": date_text(p.start, "millis"),
        "endDate": date_text(p.end, "millis"),
        "identifier": p.identifier,
        "description": p.description,
        "active": p.is_active,
        "eventName": p.event_name.title(),
        "limits": {
            "maxPointsPerEvent": str(limits["totalPointsPerEventLimit"]),
            "pointsPerCustomer": str(limits["pointsPerCustomer"]),
            "numberOFTimesPerCustomer": limits["numberOfTimesPerCustomer"],
            "totalPointsInPromotion": str(limits["totalPointsInPromotion"]),
        },
        "customerUsage": e.usage,
        "pointsOfferType": p.type,
        "promotionRestriction": _customer_restrictions(p, e, fetch_all),
    }
    if p.metadata:
        body["promotionMetadata"] = p.metadata
    if p.type != "GENERIC":
        body["customerPromotionTimelines"] = e.timelines
    return body


def customer_page(
    c: Customer, items: list[dict[str, Any]], offset: int, limit: int, total: int
) -> dict[str, Any]:
    return {
        "pageDetails": {
            "pageNumber": offset // limit if limit else 0,
            "pageSize": limit,
            "totalEntries": total,
            "pageCount": -(-total // limit) if limit else 0,
        },
        "customerId": c.id,
        "promotions": items,
        "warnings": [],
    }


def error(code: int, message: str, style: str) -> dict[str, Any]:
    """The two error envelopes the vendor uses."""
    if style == "status":
        return {
            "status": {"code": code, "message": message},
            "validationErrors": None,
            "data": None,
        }
    return {"errors": [{"status": False, "code": code, "message": message}]}
