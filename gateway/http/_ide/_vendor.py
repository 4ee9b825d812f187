"""The third-party files the IDE loads, pinned: which package, which version, which files.

`python -m gateway.http._ide --update` (`make ide-assets`) fetches each pinned package
with `npm pack` (npm's configured registry; the tarball is checked against the
registry's sha512 by npm, and against the manifest's when the version is unchanged),
copies the listed files and licences into `static/vendor/` and `static/licences/`,
and rewrites `static/vendor/manifest.json`: per file its package, version, path in the
tarball, bytes, sha256 and the sha384 the page's `integrity` attributes carry. The
tests check the files against the manifest and the manifest against these pins.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"
VENDOR = STATIC / "vendor"
LICENCES = STATIC / "licences"
MANIFEST = VENDOR / "manifest.json"


@dataclass(frozen=True)
class Pin:
    """One npm package at one version: `files` maps a path in its tarball to the name
    the gateway serves it under; `licence` is (package spec, path) of its licence text
    (a package that ships none takes its monorepo's, named here)."""

    name: str
    version: str
    files: dict[str, str] = field(default_factory=dict)
    licence: tuple[str, str] | None = None

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def licence_name(self) -> str:
        return self.name.removeprefix("@").replace("/", "-") + ".LICENSE.txt"


# GraphiQL 3.9 ships a minified UMD bundle (`graphiql.min.js`, ~1 MB; 3.8's is a 3.5 MB
# development build) that takes React and ReactDOM from globals and bundles
# @graphiql/react 0.29, the version @graphiql/plugin-explorer 3.2.6 is built against.
PINS: tuple[Pin, ...] = (
    Pin(
        "react",
        "18.3.1",
        {"package/umd/react.production.min.js": "react.production.min.js"},
        ("react@18.3.1", "package/LICENSE"),
    ),
    Pin(
        "react-dom",
        "18.3.1",
        {"package/umd/react-dom.production.min.js": "react-dom.production.min.js"},
        ("react-dom@18.3.1", "package/LICENSE"),
    ),
    Pin(
        "graphiql",
        "3.9.0",
        {
            "package/graphiql.min.js": "graphiql.min.js",
            "package/graphiql.min.css": "graphiql.min.css",
        },
        ("graphiql@3.9.0", "package/LICENSE"),
    ),
    # Bundled inside graphiql.min.js: listed for its licence.
    Pin("@graphiql/react", "0.29.0", {}, ("@graphiql/react@0.29.0", "package/LICENSE")),
    Pin(
        "@graphiql/plugin-explorer",
        "3.2.6",
        {
            "package/dist/index.umd.js": "plugin-explorer.umd.js",
            "package/dist/style.css": "plugin-explorer.css",
        },
        # The package ships no licence file; its package.json says MIT, and it comes
        # from the graphql/graphiql monorepo, whose licence graphiql ships.
        ("graphiql@3.9.0", "package/LICENSE"),
    ),
    # Bundled inside plugin-explorer.umd.js: listed for its licence.
    Pin("graphiql-explorer", "0.9.0", {}, ("graphiql-explorer@0.9.0", "package/LICENSE")),
)


def sri(data: bytes) -> str:
    """The Subresource Integrity value of `data` (sha384, as browsers check it)."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def file_entry(pin: Pin, inside: str, data: bytes, *, kind: str) -> dict[str, Any]:
    return {
        "package": pin.name,
        "version": pin.version,
        "kind": kind,
        "from": inside,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "integrity": sri(data),
    }


def read_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def _pack(spec: str, into: Path) -> tuple[Path, str]:
    """`npm pack spec`: the tarball and the registry's integrity (sha512) of it."""
    done = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(into)],
        capture_output=True,
        text=True,
        check=True,
        cwd=into,
    )
    (packed,) = json.loads(done.stdout)
    return into / packed["filename"], str(packed["integrity"])


def _member(tarball: Path, inside: str) -> bytes:
    with tarfile.open(tarball) as archive:
        extracted = archive.extractfile(inside)
        if extracted is None:
            raise SystemExit(f"{tarball.name}: {inside} is not a file")
        return extracted.read()


def update(pins: tuple[Pin, ...] = PINS) -> dict[str, Any]:
    """Fetch every pin, write its files and licences, and rewrite the manifest."""
    previous = read_manifest() if MANIFEST.exists() else {"packages": {}}
    packages: dict[str, Any] = {}
    files: dict[str, Any] = {}
    VENDOR.mkdir(parents=True, exist_ok=True)
    LICENCES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ide-assets-") as temporary:
        into = Path(temporary)
        tarballs: dict[str, tuple[Path, str]] = {}

        def packed(spec: str) -> tuple[Path, str]:
            if spec not in tarballs:
                tarballs[spec] = _pack(spec, into)
            return tarballs[spec]

        for pin in pins:
            tarball, integrity = packed(pin.spec)
            known = previous["packages"].get(pin.name, {})
            if known.get("version") == pin.version and known.get("integrity") != integrity:
                raise SystemExit(
                    f"{pin.spec}: the registry's tarball ({integrity}) is not the one "
                    f"pinned before ({known.get('integrity')})"
                )
            packages[pin.name] = {
                "version": pin.version,
                "source": f"npm {pin.spec}",
                "tarball": tarball.name,
                "integrity": integrity,
            }
            for inside, served in pin.files.items():
                data = _member(tarball, inside)
                (VENDOR / served).write_bytes(data)
                files[f"vendor/{served}"] = file_entry(pin, inside, data, kind="asset")
            if pin.licence is not None:
                licence_spec, inside = pin.licence
                data = _member(packed(licence_spec)[0], inside)
                (LICENCES / pin.licence_name).write_bytes(data)
                entry = file_entry(pin, f"{licence_spec}:{inside}", data, kind="licence")
                files[f"licences/{pin.licence_name}"] = entry
    for folder in (VENDOR, LICENCES):
        for stale in folder.iterdir():
            if stale != MANIFEST and f"{folder.name}/{stale.name}" not in files:
                stale.unlink()
    manifest = {
        "regenerate": "make ide-assets",
        "packages": packages,
        "files": dict(sorted(files.items())),
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
