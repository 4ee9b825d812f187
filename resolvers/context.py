"""What every resolver gets: this request's loaders, settings, stale log and record."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.loaders import Loaders, StaleLog
from gateway.observability import RequestRecord
from gateway.settings import Settings


@dataclass(frozen=True)
class RequestContext:
    loaders: Loaders
    settings: Settings
    stale: StaleLog
    record: RequestRecord
