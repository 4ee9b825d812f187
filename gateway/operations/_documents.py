"""Which GraphQL documents may run: persisted ones, by id.

Two modes. Automatic persisted queries (Apollo's protocol): a client sends a
document's SHA-256 instead of its text; an unknown hash answers
PERSISTED_QUERY_NOT_FOUND and the client sends both, which registers it (in a
bounded, per-worker store, and with Redis in the fleet's, so that every replica
knows it) once the hash is the document's and the document has passed the
guard's limits and validation (as Apollo Server does): a document that could
never run is never stored, so no one fills the store with garbage. Trusted
documents: a manifest lists every document the first-party apps may send; only
those run, by id or by identical text, and anything else is refused before it is
parsed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from cachetools import LRUCache

from gateway.fleet import Fleet, FleetUnavailable

# The largest document shared through Redis; a larger one stays in the process.
MAX_SHARED_BYTES = 64 * 1024


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass(slots=True)
class _Registration:
    """A document sent with its hash, in this request; stored once validated."""

    sha256: str
    document: str
    validated: bool = False


_REGISTRATION: ContextVar[_Registration | None] = ContextVar("apq_registration", default=None)


def note_validated(document: str | None) -> None:
    """The guard passed `document`: if this request offered it for registration, it
    may now be stored."""
    registration = _REGISTRATION.get()
    if registration is not None and registration.document == document:
        registration.validated = True


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
    """Automatic persisted queries: hash -> document, least recently used forgotten.

    With a `fleet`, a registered document is also written to Redis (with a TTL of
    `ttl_s`, refreshed by each registration) and found there by the other replicas,
    which keep it in their own store from then on. A document read back from Redis
    is used only if it hashes to its key: a writable Redis cannot swap one query for
    another. Redis failing, the store is the process's own, as without a fleet.
    """

    def __init__(self, max_entries: int, fleet: Fleet | None = None, ttl_s: int = 86_400) -> None:
        self._documents: LRUCache[str, str] | None = (
            LRUCache(maxsize=max_entries) if max_entries > 0 else None
        )
        self._fleet = fleet
        self._ttl_s = ttl_s

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

    async def find(self, sha256: str) -> str | None:
        """The document of `sha256`, from this process's store or else the fleet's."""
        found = self.get(sha256)
        if found is not None or self._fleet is None or self._documents is None:
            return found
        fleet = self._fleet
        key = fleet.keys.key("apq", sha256.lower())
        try:
            shared = await fleet.call("apq_get", lambda client: client.get(key))
        except FleetUnavailable:
            return None
        if not isinstance(shared, bytes):
            return None
        try:
            document = shared.decode()
        except UnicodeDecodeError:
            return None  # not ours: a miss
        if sha256_hex(document) != sha256.lower():
            return None
        self._documents[sha256.lower()] = document
        return document

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        """The scope of one request's registration (`offer`, then `settle`)."""
        token = _REGISTRATION.set(None)
        try:
            yield
        finally:
            _REGISTRATION.reset(token)

    def offer(self, sha256: str, document: str) -> bool:
        """This request sends `document` with its hash: False if the hash is not the
        document's; else it is stored by `settle` if the guard validates it."""
        if sha256_hex(document) != sha256.lower():
            return False
        _REGISTRATION.set(_Registration(sha256.lower(), document))
        return True

    async def settle(self) -> None:
        """Store the document this request offered, if the guard validated it (before
        the answer goes out, so the client's next request finds it on any replica)."""
        registration = _REGISTRATION.get()
        if registration is not None and registration.validated:
            _REGISTRATION.set(None)
            await self.add(registration.sha256, registration.document)

    async def add(self, sha256: str, document: str) -> bool:
        """`register`, and share the document with the fleet; False if the hash is not
        the document's (nothing is stored)."""
        if not self.register(sha256, document):
            return False
        encoded = document.encode()
        if self._fleet is None or self._documents is None or len(encoded) > MAX_SHARED_BYTES:
            return True
        fleet, ttl_s = self._fleet, self._ttl_s
        key = fleet.keys.key("apq", sha256.lower())
        # Redis failing, the document is known to this process only.
        with contextlib.suppress(FleetUnavailable):
            await fleet.call("apq_set", lambda client: client.set(key, encoded, ex=ttl_s))
        return True
