"""What every resolver gets: the caller's credential, this request's loaders and budget."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.credentials import Credential
from gateway.loaders import CallBudget, Loaders, StaleLog
from gateway.observability import RequestRecord
from gateway.settings import Settings


@dataclass(frozen=True)
class RequestContext:
    credential: Credential
    loaders: Loaders
    settings: Settings
    stale: StaleLog
    calls: CallBudget
    record: RequestRecord
