"""The caller's upstream credential, and the keyed fingerprint that scopes caches.

The raw value is only ever put in the upstream request's Authorization header.
Caches, single-flight keys and logs see the fingerprint: an HMAC of the value
under a secret from the settings, so two credentials never share an entry and a
key reveals nothing about the credential behind it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Credential:
    authorization: str | None = field(repr=False)
    fingerprint: str
    # The gateway's configured default (UPSTREAM_AUTHORIZATION), not the client's own:
    # when the upstream rejects it, the operator has to act, not the client.
    configured: bool = False

    @classmethod
    def from_header(
        cls, authorization: str | None, *, secret: bytes, configured: bool = False
    ) -> Credential:
        value = authorization.strip() if authorization else None
        if not value:
            return cls(authorization=None, fingerprint="anonymous")
        digest = hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()
        return cls(authorization=value, fingerprint=digest[:32], configured=configured)
