"""An upstream answer as the caches keep it: the typed record, and the JSON it was
read from, so that a second-level cache (Redis) can store the JSON and any replica
read it back with the same reader the live call used.

Nothing but the upstream's own JSON is ever stored: reading an answer back is
parsing JSON and running the tolerant reader of `_parsing`, so a stored value can
at worst be unreadable (`UpstreamBadResponse`), never run code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway import jsonio
from gateway.errors import UpstreamBadResponse
from gateway.upstream import _parsing as parsing
from gateway.upstream import records

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Answer(Generic[R]):
    """A record and the upstream JSON (compact bytes) it was read from."""

    record: R
    body: bytes


def _json(body: bytes) -> object:
    try:
        return jsonio.loads(body)
    except ValueError:
        raise UpstreamBadResponse("A stored upstream answer is not JSON.") from None


def read_promotion(body: bytes, program_id: str) -> Answer[records.Promotion]:
    """A by-id answer, read back from its JSON; UpstreamBadResponse if unreadable."""
    return Answer(parsing.parse_promotion(_json(body), program_id), body)


def read_promotion_page(body: bytes) -> Answer[records.PromotionPage]:
    """A list page, read back from its JSON; UpstreamBadResponse if unreadable."""
    return Answer(parsing.parse_promotion_page(_json(body)), body)


def read_customer_page(body: bytes) -> Answer[records.CustomerPage]:
    """A customer lookup, read back from its JSON; UpstreamBadResponse if unreadable."""
    return Answer(parsing.parse_customer_page(_json(body)), body)
