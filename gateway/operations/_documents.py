"""Which GraphQL documents may run: persisted ones, by id.

Two modes. Automatic persisted queries (Apollo's protocol): a client sends a
document's SHA-256 instead of its text; an unknown hash answers
PERSISTED_QUERY_NOT_FOUND and the client sends both, which registers it (in a
bounded, per-worker store). Trusted documents: a manifest lists every document
the first-party apps may send; only those run, by id or by identical text, and
anything else is refused before it is parsed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from cachetools import LRUCache


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class ManifestError(ValueError):
    """The trusted-documents manifest cannot be used."""


class TrustedDocuments:
    def __init__(self, by_id: Mapping[str, str]) -> None:
        self.by_id = dict(by_id)
        # Clients that send a document's SHA-256 (Apollo's APQ link) find it either way.
        self._by_hash = {sha256_hex(body): body for body in self.by_id.values()}

    def body(self, document_id: str) -> str | None:
        return self.by_id.get(document_id) or self._by_hash.get(document_id.lower())

    def allows(self, body: str) -> bool:
        return sha256_hex(body) in self._by_hash

    @classmethod
    def load(cls, path: str | Path) -> TrustedDocuments:
        """Read an Apollo persisted-query manifest, or Relay's `{id: text}` map."""
        try:
            raw = json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise ManifestError(f"{path}: {error}") from None
        return cls(parse_manifest(raw, str(path)))


def parse_manifest(raw: object, source: str = "manifest") -> dict[str, str]:
    if isinstance(raw, dict) and raw.get("format") == "apollo-persisted-query-manifest":
        operations = raw.get("operations")
        if not isinstance(operations, list):
            raise ManifestError(f"{source}: `operations` must be a list")
        documents: dict[str, str] = {}
        for operation in operations:
            if not (
                isinstance(operation, dict)
                and isinstance(operation.get("id"), str)
                and isinstance(operation.get("body"), str)
            ):
                raise ManifestError(f"{source}: each operation needs a string `id` and `body`")
            documents[operation["id"]] = operation["body"]
        return documents
    if isinstance(raw, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        return dict(raw)  # Relay: {"<id>": "<document>"}
    raise ManifestError(
        f"{source}: neither an Apollo persisted-query manifest nor a Relay id -> document map"
    )


class PersistedQueries:
    """Automatic persisted queries: hash -> document, least recently used forgotten."""

    def __init__(self, max_entries: int) -> None:
        self._documents: LRUCache[str, str] | None = (
            LRUCache(maxsize=max_entries) if max_entries > 0 else None
        )

    @property
    def enabled(self) -> bool:
        return self._documents is not None

    def get(self, sha256: str) -> str | None:
        return None if self._documents is None else self._documents.get(sha256)

    def register(self, sha256: str, document: str) -> bool:
        """Remember `document` under its hash; False if the hash is not its hash."""
        if sha256_hex(document) != sha256.lower():
            return False
        if self._documents is not None:
            self._documents[sha256.lower()] = document
        return True
