"""The bytes a shared (Redis) cache entry holds: a one-line JSON header, then the
upstream's JSON answer as it was received.

    {"v":1,"fetchedAt":1764569471.25,"freshUntil":1764569531.25,"staleUntil":1764569831.25}\n
    {"status":{...},"data":[...]}

Times are Unix seconds (every replica's wall clock). The header is read before the
body is looked at; anything else (another version, a missing or non-numeric time,
times out of order, an entry already past its stale window, bytes that are not
JSON, a pickle) is no entry at all. Nothing here ever unpickles or evaluates: the
body goes to the upstream's own JSON reader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gateway import jsonio

ENVELOPE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Envelope:
    fetched_at: float
    fresh_until: float
    stale_until: float
    body: bytes


def pack(envelope: Envelope) -> bytes:
    header = jsonio.dumps(
        {
            "v": ENVELOPE_VERSION,
            "fetchedAt": envelope.fetched_at,
            "freshUntil": envelope.fresh_until,
            "staleUntil": envelope.stale_until,
        }
    )
    return header + b"\n" + envelope.body


def unpack(raw: object, now: float) -> Envelope | None:
    """The envelope in `raw`, or None when it is not one this release wrote (or it is
    past its stale window)."""
    if not isinstance(raw, bytes):
        return None
    header, newline, body = raw.partition(b"\n")
    if not newline or not body:
        return None
    try:
        fields = jsonio.loads(header)
    except ValueError:
        return None
    if not isinstance(fields, dict) or fields.get("v") != ENVELOPE_VERSION:
        return None
    times = [fields.get(name) for name in ("fetchedAt", "freshUntil", "staleUntil")]
    if not all(_moment(value) for value in times):
        return None
    fetched_at, fresh_until, stale_until = (float(value) for value in times)  # type: ignore[arg-type]
    if not fetched_at <= fresh_until <= stale_until or stale_until <= now:
        return None
    return Envelope(fetched_at, fresh_until, stale_until, body)


def _moment(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
