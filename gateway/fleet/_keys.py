"""Every Redis key the gateway writes: `{prefix}:v{version}:{kind}:{part}:...`.

The version changes when a value's layout does, so replicas of two releases never
read each other's entries. Parts are percent-quoted, so an id holding `:` or `{`
cannot step into another key's place or pick a Redis Cluster hash slot. Callers put
no credential, customer identifier or query text in a part: a credential's
fingerprint (an HMAC) or a document's hash stands for it.
"""

from __future__ import annotations

from urllib.parse import quote

LAYOUT_VERSION = 1


class FleetKeys:
    def __init__(self, prefix: str, version: int = LAYOUT_VERSION) -> None:
        self.namespace = f"{prefix}:v{version}"

    def key(self, kind: str, *parts: str) -> str:
        """The key of `kind` (a fixed word of ours) and its parts (any text)."""
        quoted = (quote(part, safe="") for part in parts)
        return ":".join((self.namespace, kind, *quoted))

    def channel(self, name: str) -> str:
        """A pub/sub channel of this namespace."""
        return f"{self.namespace}:channel:{name}"
