"""Raw upstream JSON -> typed records: the tolerant reader, and the way in.

Tolerant of every reading the vendor pages allow: numbers as strings, `-1` for
"no limit", every date form (with or without seconds or milliseconds, zone
offsets, no zone at all, epoch milliseconds), missing keys, `data` as an array
or an object, settings at the top level or inside `promotionRestrictions`, the
customer view's own spellings. A value we cannot read at all (an object where a
number belongs, a missing identifier) is a contract violation: UpstreamBadResponse
naming the field. An enum value we do not know becomes None and is logged once.

The customer view's records, and the limits and restrictions of the promotion
views, are read with the field tables of `_tables`, the ones the fast path
`_usual_shape` is generated from; the promotion views' other records are read
here field by field. A customer page goes to the fast path first.
"""

from __future__ import annotations

import enum
import functools
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import methodcaller
from typing import Any, TypeVar, cast

from gateway.errors import PromotionNotFound, UpstreamBadResponse
from gateway.upstream import _tables as tables
from gateway.upstream import _usual_shape as usual_shape
from gateway.upstream import records
from gateway.upstream._tables import Kind, Table
from gateway.upstream.records import JSON

logger = logging.getLogger("gateway.upstream.parsing")

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")
R = TypeVar("R", bound=tuple[Any, ...])

_MISSING = object()


# ---------------------------------------------------------------- scalar readings


def parse_moment(value: object) -> datetime | None:
    """Any upstream date form -> aware UTC datetime. Raises ValueError if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean is not a date")
    if isinstance(value, int | float):
        return _from_epoch_ms(value)
    if not isinstance(value, str):
        raise ValueError("not a date")
    text = value.strip()
    if text.lstrip("-").isdigit():
        return _from_epoch_ms(int(text))
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _from_epoch_ms(value: float) -> datetime:
    if not math.isfinite(value):
        raise ValueError("not a finite timestamp")
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError) as error:
        raise ValueError("timestamp out of range") from error


def _number(value: object) -> float:
    kind = type(value)  # exact types first: bool is an int, and the common cases
    if kind is str:
        number = float(cast(str, value).strip())
    elif kind is int:
        return float(cast(int, value))
    elif kind is float:
        number = cast(float, value)
    elif isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        number = float(value.strip())
    else:
        raise ValueError("not a number")
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _integer(value: object) -> int:
    if type(value) is int:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _number(value)
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


def _identifier(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return str(_integer(value))


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("not a boolean")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError("not a string")


@functools.lru_cache(maxsize=1024)
def _warn_unknown(enum_name: str, value: str) -> None:
    logger.warning("upstream sent an unknown %s value %r; serving null", enum_name, value[:64])


# ---------------------------------------------------------------- a JSON object being read


class Fields:
    """A JSON object (or several layered ones) being read, with its path for errors."""

    __slots__ = ("_layers", "path")

    def __init__(self, path: str, *layers: Mapping[str, object]) -> None:
        self.path = path
        self._layers = layers

    @property
    def first(self) -> Mapping[str, object]:
        """The object itself (the first of its layers)."""
        return self._layers[0]

    def raw(self, keys: tuple[str, ...]) -> tuple[str, object]:
        for layer in self._layers:
            for key in keys:
                value = layer.get(key)
                if value is not None:
                    return key, value
        return keys[0], _MISSING

    def _read(self, keys: tuple[str, ...], convert: Callable[[object], T]) -> T | None:
        for layer in self._layers:  # as `raw`, written out: this runs for every field
            for key in keys:
                value = layer.get(key)
                if value is not None:
                    try:
                        return convert(value)
                    except (ValueError, TypeError, OverflowError) as error:
                        raise violation(f"{self.path}.{key}", str(error)) from None
        return None

    def identifier(self, *keys: str) -> str:
        found = self.optional_identifier(*keys)
        if found is None:
            raise violation(f"{self.path}.{keys[0]}", "missing")
        return found

    def optional_identifier(self, *keys: str) -> str | None:
        return self._read(keys, _identifier)

    def text(self, *keys: str) -> str | None:
        return self._read(keys, _text)

    def integer(self, *keys: str) -> int | None:
        return self._read(keys, _integer)

    def number(self, *keys: str) -> float | None:
        return self._read(keys, _number)

    def limit(self, *keys: str) -> float | None:
        """A number where -1 means "no limit" (None)."""
        number = self.number(*keys)
        return None if number == -1 else number

    def flag(self, *keys: str) -> bool | None:
        return self._read(keys, _flag)

    def moment(self, *keys: str) -> datetime | None:
        return self._read(keys, parse_moment)

    def choice(self, kind: type[E], *keys: str) -> E | None:
        value = self._read(keys, _text)
        if value is None:
            return None
        member = kind._value2member_map_.get(value)  # the exact spelling, found at once
        if member is not None:
            return cast(E, member)
        try:
            return kind(value.strip().upper())
        except ValueError:
            _warn_unknown(kind.__name__, value)
            return None

    def json(self, *keys: str) -> JSON:
        _, value = self.raw(keys)
        return None if value is _MISSING else cast(JSON, value)

    def identifiers(self, key: str) -> tuple[str, ...] | None:
        _, value = self.raw((key,))
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            raise violation(f"{self.path}.{key}", "not a list")
        try:
            return tuple(_identifier(item) for item in value)
        except (ValueError, TypeError):
            raise violation(f"{self.path}.{key}", "not a list of identifiers") from None

    def layered(self, other: Fields | None) -> Fields:
        """This object, falling back to `other` for keys it does not carry."""
        return self if other is None else Fields(self.path, *self._layers, *other._layers)

    def child(self, *keys: str) -> Fields | None:
        key, value = self.raw(keys)
        if value is _MISSING:
            return None
        if not isinstance(value, Mapping):
            raise violation(f"{self.path}.{key}", "not an object")
        return Fields(f"{self.path}.{key}", value)

    def children(self, key: str) -> list[Fields]:
        _, value = self.raw((key,))
        if value is _MISSING:
            return []
        return _objects(f"{self.path}.{key}", value)

    def mapping(self, key: str) -> list[tuple[str, object]]:
        _, value = self.raw((key,))
        if value is _MISSING:
            return []
        if not isinstance(value, Mapping):
            raise violation(f"{self.path}.{key}", "not an object")
        return [(str(name), item) for name, item in value.items()]


def _objects(path: str, value: object) -> list[Fields]:
    if not isinstance(value, list):
        raise violation(path, "not a list")
    items = []
    for index, item in enumerate(value):
        if item is None:
            continue
        if not isinstance(item, Mapping):
            raise violation(f"{path}[{index}]", "not an object")
        items.append(Fields(f"{path}[{index}]", item))
    return items


def violation(field: str, problem: str) -> UpstreamBadResponse:
    return UpstreamBadResponse(
        f"The upstream sent an unreadable value at {field} ({problem}).",
        details={"field": field},
    )


def _body(body: object) -> Fields:
    if not isinstance(body, Mapping):
        raise violation("response", "not a JSON object")
    return Fields("response", body)


# ---------------------------------------------------------------- reading with a field table

# The kinds a `Fields` method reads with the field's keys.
_METHODS = {
    Kind.IDENTIFIER: "optional_identifier",
    Kind.TEXT: "text",
    Kind.FLAG: "flag",
    Kind.INTEGER: "integer",
    Kind.NUMBER: "number",
    Kind.LIMIT: "limit",
    Kind.MOMENT: "moment",
}


@functools.cache
def _reader(table: Table[R]) -> Callable[[Fields], R]:
    """The tolerant reading of `table`'s record from an object: each field read
    in the table's reading order, the record built in its own."""
    record = table.record
    defaults = [field.default for field in table.fields]  # and the constants
    index = {field.name: number for number, field in enumerate(table.fields)}
    steps = tuple(
        (
            index[field.name],
            _value_reader(field),
            field.keys[0] if field.required else None,
            None if field.when is None else (index[field.when[0]], field.when[1]),
        )
        for field in table.reading_order
        if field.kind is not Kind.CONSTANT
    )

    def read(item: Fields) -> R:
        values = defaults.copy()
        for at, read_value, required, when in steps:
            if when is not None and values[when[0]] is not when[1]:
                continue
            value = read_value(item)
            if value is not None:
                values[at] = value
            elif required is not None:
                raise violation(f"{item.path}.{required}", "missing")
        return tuple.__new__(record, values)

    return read


def _value_reader(field: tables.Field) -> Callable[[Fields], object]:
    """How this reader reads one field from an object (None: missing)."""
    kind, keys = field.kind, field.keys
    method = _METHODS.get(kind)
    if method is not None:
        return methodcaller(method, *keys)
    if kind is Kind.CHOICE:
        return methodcaller("choice", field.choices, *keys)
    if kind is Kind.RESTRICTIONS:
        return lambda item: _restrictions(item.child(*keys))
    assert field.table is not None
    read = _reader(field.table)
    if kind is Kind.OBJECT:
        return lambda item: None if (child := item.child(*keys)) is None else read(child)
    if kind is Kind.OBJECTS:
        return lambda item: tuple([read(child) for child in item.children(keys[0])])
    # A GROUP: the record, unless one of its fields is missing.
    return lambda item: None if None in (group := read(item)) else group


_RESTRICTION_READERS = tuple((key, _reader(table)) for key, table in tables.RESTRICTION_LISTS)
_limits_reader = _reader(tables.LIMITS)


def _restrictions(holder: Fields | None) -> tuple[records.Restriction, ...]:
    """Every restriction under `holder`, kinds in schema order, upstream order within."""
    if holder is None:
        return ()
    nested = holder.child(tables.NESTED_RESTRICTIONS)
    if nested is not None:
        holder = nested
    return tuple(
        [read(item) for key, read in _RESTRICTION_READERS for item in holder.children(key)]
    )


def _limits(limits: Fields | None) -> records.Limits | None:
    return None if limits is None else _limits_reader(limits)


# ---------------------------------------------------------------- upstream errors in a body


@dataclass(frozen=True, slots=True)
class BodyError:
    """An error the upstream reported inside a response body."""

    code: int | None
    message: str | None


def body_error(body: object) -> BodyError | None:
    """The upstream's own error in a body: a top-level `errors` array, a non-2xx
    `status.code`, non-empty `validationErrors`, or a top-level error `code`."""
    if not isinstance(body, Mapping):
        return None
    for key in ("errors", "validationErrors"):
        errors = body.get(key)
        if isinstance(errors, list) and errors:
            first = next(
                (e for e in errors if isinstance(e, Mapping) and _code(e.get("code")) is not None),
                errors[0],
            )
            if isinstance(first, Mapping):
                return BodyError(_code(first.get("code")), _message(first))
            return BodyError(None, None)
    status = body.get("status")
    if isinstance(status, Mapping):
        code = _code(status.get("code"))
        if (code is not None and not 200 <= code < 300) or status.get("success") is False:
            return BodyError(code, _message(status))
    code = _code(body.get("code"))
    if code is not None and not 200 <= code < 300 and "message" in body:
        return BodyError(code, _message(body))
    return None


def _code(value: object) -> int | None:
    try:
        return _integer(value)
    except (ValueError, TypeError):
        return None


def _message(error: Mapping[str, object]) -> str | None:
    message = error.get("message") or error.get("description")
    return message[:300] if isinstance(message, str) else None


# ---------------------------------------------------------------- promotion views


def _action(case: str, item: Fields) -> records.RuleAction:
    return records.RuleAction(
        id=item.identifier("id"),
        name=item.text("actionName", "name") or "",
        description=item.text("description"),
        case=case,
        properties=item.json("mandatoryPropertiesValues"),
        complex_properties=item.json("mandatoryComplexPropertiesValues"),
        action_class=item.text("actionClass"),
    )


def _filter(item: Fields) -> records.RuleFilter:
    return records.RuleFilter(
        id=item.identifier("id"),
        name=item.text("name") or "",
        is_include=item.flag("isInclude"),
        values=item.json("propertyToValues"),
        class_name=item.text("className"),
        org_id=item.optional_identifier("orgID", "orgId"),
        rule_id=item.optional_identifier("ruleID", "ruleId"),
    )


def _rule(item: Fields) -> records.Rule:
    actions: list[records.RuleAction] = []
    for case, value in item.mapping("caseToActions"):
        if value is not None:
            actions.extend(_action(case, a) for a in _objects(f"{item.path}.{case}", value))
    return records.Rule(
        id=item.identifier("id"),
        name=item.text("name"),
        description=item.text("description"),
        expression=item.text("exp"),
        expression_json=item.text("expJSON"),
        json_type=item.text("jsonType"),
        expression_data_type=item.text("expDataType"),
        is_active=item.flag("isActive") or False,
        priority=item.integer("priority"),
        start_date=item.moment("startDate"),
        end_date=item.moment("endDate"),
        created_on=item.moment("createdOn"),
        created_by=item.optional_identifier("createdBy"),
        modified_on=item.moment("modifiedOn"),
        modified_by=item.optional_identifier("modifiedBy"),
        rule_scope=item.text("ruleScope"),
        ruleset_id=item.optional_identifier("ruleSetId", "rulesetId"),
        updated_via_new_ui=item.flag("updatedViaNewUI"),
        actions=tuple(actions),
        filters=tuple(_filter(f) for f in item.children("filterInfo")),
    )


def _ruleset(item: Fields) -> records.Ruleset:
    return records.Ruleset(
        id=item.identifier("id"),
        name=item.text("name"),
        description=item.text("description"),
        scope=item.text("ruleScope"),
        start_date=item.moment("startDate"),
        end_date=item.moment("endDate"),
        rules=tuple(_rule(r) for r in item.children("rules")),
        filters=tuple(_filter(f) for f in item.children("filterInfo")),
        org_name=item.text("orgName"),
        org_id=item.optional_identifier("orgID", "orgId"),
        context_id=item.optional_identifier("contextID", "contextId"),
        context_type=item.text("contextType"),
        package_name=item.text("packageName"),
        event_type=item.text("eventType"),
        capping_info=item.json("cappingInfo"),
        created_on=item.moment("createdOn"),
        created_by=item.optional_identifier("createdBy"),
        modified_on=item.moment("modifiedOn"),
        modified_by=item.optional_identifier("modifiedBy"),
        updated_via_new_ui=item.flag("updatedViaNewUI"),
        private=item.flag("private"),
    )


def _promotion(item: Fields, program_id: str | None = None) -> records.Promotion:
    holder = item.child("promotionRestrictions", "promotionRestriction")
    # The settings flags stand at the top level in the field tables and inside
    # promotionRestrictions in the examples: read both, top level first.
    settings = item.layered(holder)
    rulesets = item.children("rulesetInfos") if item.json("rulesetInfos") is not None else None
    return records.Promotion(
        id=item.identifier("id"),
        program_id=item.optional_identifier("programId")
        or _required(program_id, item, "programId"),
        program_name=item.text("programName"),
        name=item.text("name") or "",
        description=item.text("description"),
        identifier=item.text("identifier"),
        status=item.choice(records.PromotionStatus, "promotionStatus"),
        type=item.choice(records.PromotionType, "pointsOfferType"),
        active=item.flag("isActive") or False,
        start_date=item.moment("startDate"),
        end_date=item.moment("endDate"),
        last_updated_at=item.moment("lastUpdateDate"),
        last_updated_by=item.optional_identifier("lastUpdatedBy"),
        event_name=item.text("eventName"),
        event_sub_type_name=item.text("eventSubTypeName"),
        limits=_limits(item.child("limits")),
        restrictions=_restrictions(holder),
        is_stackable=settings.flag("isStackable"),
        is_exclusive=settings.flag("isExclusive"),
        is_always_apply=settings.flag("isAlwaysApply"),
        is_considered_for_ranking=settings.flag("isConsideredForRanking"),
        rulesets=None if rulesets is None else tuple(_ruleset(r) for r in rulesets),
        allocate_points_on=item.text("allocatePointsOn"),
        use_proportions=item.flag("useProportions"),
        loyalty_earning_type=settings.text("loyaltyEarningType"),
        expiry_reminder=settings.json("expiryReminder"),
        start_rule_identifier=item.text("startRuleIdentifier"),
        level=item.choice(records.PromotionLevel, "promotionType"),
        scope=settings.text("scope"),
        capping_status=settings.flag("cappingStatus"),
        target_group_ids=settings.identifiers("targetGroupIds"),
        target_rule_ids=settings.identifiers("targetRuleIds"),
        linked_target_groups=settings.json("linkedTargetGroupVsTargetRuleIdMap"),
        skip_earned_date_check_on_redeem=settings.flag("skipEarnedDateCheckOnRedeem"),
    )


def _required(value: str | None, item: Fields, key: str) -> str:
    if value is None:
        raise violation(f"{item.path}.{key}", "missing")
    return value


def parse_promotion(body: object, program_id: str) -> records.Promotion:
    """The by-id response: the promotion wrapped in `data` (an array of one, or an object)."""
    response = _body(body)
    _, data = response.raw(("data",))
    if isinstance(data, list):
        items = _objects("response.data", data)
        if not items:
            raise PromotionNotFound("Promotion not found.")
        return _promotion(items[0], program_id)
    if isinstance(data, Mapping):
        return _promotion(Fields("response.data", data), program_id)
    if data is _MISSING:
        raise PromotionNotFound("Promotion not found.")
    raise violation("response.data", "not a list or an object")


def parse_promotion_page(body: object) -> records.PromotionPage:
    """A list page: `data` as an array, or an object holding the array."""
    response = _body(body)
    _, data = response.raw(("data",))
    page_details = response.child("pageDetails")
    if isinstance(data, Mapping):
        inner = Fields("response.data", data)
        page_details = page_details or inner.child("pageDetails")
        _, listed = inner.raw(("promotions", "content", "items"))
        if listed is not _MISSING:
            items = _objects("response.data.promotions", listed)
        elif "id" in data:
            items = [inner]
        else:
            items = []
    elif data is _MISSING:
        items = []
    else:
        items = _objects("response.data", data)
    return records.PromotionPage(
        promotions=tuple(_promotion(item) for item in items),
        total_count=page_details.integer("totalEntries") if page_details else None,
        page_number=page_details.integer("pageNumber") if page_details else None,
        page_size=page_details.integer("pageSize") if page_details else None,
        page_count=page_details.integer("pageCount") if page_details else None,
    )


# ---------------------------------------------------------------- customer view

_customer_promotion = _reader(tables.CUSTOMER_PROMOTION)


def _customer_promotions(
    customer: Fields, usual_first: bool
) -> tuple[records.CustomerPromotion, ...]:
    _, listed = customer.raw(("promotions",))
    if usual_first and type(listed) is list:
        read = [usual_shape.customer_promotion(item) for item in listed]
        if not any(promotion is None for promotion in read):
            return tuple(cast(list[records.CustomerPromotion], read))
    return tuple(
        (usual_first and usual_shape.customer_promotion(p.first)) or _customer_promotion(p)
        for p in customer.children("promotions")
    )


def parse_customer_page(body: object, *, usual_first: bool = True) -> records.CustomerPage:
    """A customer lookup: the customer id, one page of promotions, warnings.

    Each promotion is read by `_usual_shape` when it is in the usual shape (several
    times faster), and by the tolerant reader otherwise; `usual_first=False` reads
    them all with the tolerant reader (the tests compare the two)."""
    response = _body(body)
    data = response.child("data")
    customer = data if data is not None and data.json("customerId") is not None else response
    page_details = customer.child("pageDetails") or response.child("pageDetails")
    _, warnings = customer.raw(("warnings",))
    return records.CustomerPage(
        customer_id=customer.identifier("customerId"),
        promotions=_customer_promotions(customer, usual_first),
        total_count=page_details.integer("totalEntries") if page_details else None,
        warnings=tuple(cast(list[JSON], warnings)) if isinstance(warnings, list) else (),
    )
