"""The files the IDE page loads, served by the gateway from the package.

Third-party files are the pinned ones in `static/vendor/` (`_vendor.py`), each
with the sha384 its manifest records: the page's `integrity` attributes carry
that, so a browser refuses a file changed since it was pinned. Our own files
(`static/ide.js`, `static/explain.js`, `static/ide.css`) get theirs from their
bytes. Each URL carries the start of the file's sha256 (`?v=`), so the files are
cached for a year and a new version is a new URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from gateway.http._ide._vendor import MANIFEST, STATIC, read_manifest, sri

ROUTE = "/graphql/ide"
# What the page loads, in order; a name outside `vendor/` is one of our own files.
STYLES = ("vendor/graphiql.min.css", "vendor/plugin-explorer.css", "ide.css")
# React, then what uses it; the explain panel before the page's script.
SCRIPTS = (
    "vendor/react.production.min.js",
    "vendor/react-dom.production.min.js",
    "vendor/graphiql.min.js",
    "vendor/plugin-explorer.umd.js",
    "explain.js",
    "ide.js",
)
_OWN = tuple(name for name in STYLES + SCRIPTS if not name.startswith("vendor/"))
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_CACHED = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    integrity: str  # sha384, for the page's `integrity` attribute
    version: str  # the start of the sha256


class Assets:
    """The IDE's files by the name they are served under (`vendor/graphiql.min.js`)."""

    def __init__(self, files: dict[str, Asset]) -> None:
        self._files = files

    @classmethod
    def load(cls, static: Path = STATIC) -> Assets:
        files: dict[str, Asset] = {}
        for name, entry in read_manifest(static / MANIFEST.relative_to(STATIC))["files"].items():
            if entry["kind"] == "asset":
                body = (static / name).read_bytes()
                files[name] = Asset(
                    body, _MEDIA_TYPES[Path(name).suffix], entry["integrity"], entry["sha256"][:12]
                )
        for name in _OWN:
            body = (static / name).read_bytes()
            version = hashlib.sha256(body).hexdigest()[:12]
            files[name] = Asset(body, _MEDIA_TYPES[Path(name).suffix], sri(body), version)
        return cls(files)

    def url(self, name: str) -> str:
        return f"{ROUTE}/{name}?v={self._files[name].version}"

    def integrity(self, name: str) -> str:
        return self._files[name].integrity

    async def serve(self, request: Request) -> Response:
        """GET /graphql/ide/{name}: one of the files above, else 404."""
        asset = self._files.get(request.path_params["name"])
        if asset is None:
            return PlainTextResponse("Not Found", status_code=404)
        return Response(asset.body, media_type=asset.media_type, headers=_CACHED)
