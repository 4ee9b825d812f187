"""The request's upstream credential, read and fingerprinted once per request.

Its Authorization header, or the configured default (marked `configured`) when it
sends none or a blank one, made a
`Credential` the first time a layer asks (the front door's client rate limit,
or the GraphQL view's context) and kept in the ASGI scope's state for the rest.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Scope

from gateway.credentials import Credential

_STATE_KEY = "credential"


class Credentials:
    def __init__(self, default_authorization: str | None, *, secret: bytes) -> None:
        self._default = default_authorization
        self._secret = secret

    def of(self, scope: Scope) -> Credential:
        """The credential of the request `scope` belongs to."""
        state = scope.setdefault("state", {})
        found = state.get(_STATE_KEY)
        if isinstance(found, Credential):
            return found
        header = Headers(scope=scope).get("authorization")
        if header and header.strip():
            credential = Credential.from_header(header, secret=self._secret)
        else:
            credential = Credential.from_header(self._default, secret=self._secret, configured=True)
        state[_STATE_KEY] = credential
        return credential
