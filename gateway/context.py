"""What every resolver gets: the caller's credential and this request's loaders."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.credentials import Credential
from gateway.loaders import Loaders
from gateway.settings import Settings


@dataclass(frozen=True)
class RequestContext:
    credential: Credential
    loaders: Loaders
    settings: Settings
