"""Which JSON media type a GraphQL response goes out in (GraphQL over HTTP, "Accept").

`application/graphql-response+json` when the client takes it at least as gladly as
`application/json`, else `application/json`. No Accept header (or a blank one) is
`application/json`, as the spec's legacy rules say while clients move over; a
wildcard alone (`*/*`, `application/*`) is `application/json` too. `q=0`
refuses a type, and a `charset` other than UTF-8 does not match. When neither
type is acceptable, `negotiate` gives None: the view answers 406.
"""

from __future__ import annotations

from typing import Final

GRAPHQL_RESPONSE_JSON: Final = "application/graphql-response+json"
JSON: Final = "application/json"
# Answered in that order of preference when a client takes both exactly as gladly.
MEDIA_TYPES: Final = (JSON, GRAPHQL_RESPONSE_JSON)


def content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8"


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, or None if `accept` takes neither."""
    if accept is None or not accept.strip():
        return JSON
    ranges = [_range(part) for part in accept.split(",") if part.strip()]
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for media_type in MEDIA_TYPES:
        rank = _rank(media_type, ranges)
        if rank is not None and (best is None or rank > best):
            best, chosen = rank, media_type
    return chosen


# A range: its type, subtype, q and whether its charset (if any) is UTF-8.
_Range = tuple[str, str, float, bool]


def _range(part: str) -> _Range:
    media_range, *params = (piece.strip() for piece in part.split(";"))
    kind, _, subtype = media_range.lower().partition("/")
    q, utf8 = 1.0, True
    for param in params:
        name, _, value = param.partition("=")
        name, value = name.strip().lower(), value.strip().strip('"').lower()
        if name == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
            q = q if 0.0 <= q <= 1.0 else 0.0
        elif name == "charset":
            utf8 = value in ("utf-8", "utf8")
    return kind, subtype or "*", q, utf8


def _rank(media_type: str, ranges: list[_Range]) -> tuple[float, int, int] | None:
    """How gladly `ranges` take `media_type`: (q, specificity, earlier listed), by the
    most specific range that matches it (RFC 9110 12.5.1); None if not at all."""
    kind, subtype = media_type.split("/")
    found: tuple[int, float, int] | None = None
    for position, (range_kind, range_subtype, q, utf8) in enumerate(ranges):
        if range_kind == kind and range_subtype == subtype:
            specificity = 2
        elif range_kind == kind and range_subtype == "*":
            specificity = 1
        elif range_kind == "*" and range_subtype == "*":
            specificity = 0
        else:
            continue
        if not utf8:
            continue
        if found is None or specificity > found[0]:
            found = (specificity, q, position)
    if found is None or found[1] <= 0:
        return None
    specificity, q, position = found
    # A wildcard matches both types alike: then the tie goes to application/json.
    return q, specificity, -position if specificity == 2 else 0
