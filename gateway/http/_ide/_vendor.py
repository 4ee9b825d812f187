"""The third-party files the IDE loads, pinned: which package, which version, which files.

`python -m gateway.http._ide --update` (`make ide-assets`) fetches each pinned package
with `npm pack` (npm's configured registry; the tarball is checked against the
registry's sha512 by npm, and against the manifest's when the version is unchanged),
copies the listed files (less a trailing `sourceMappingURL` comment: the maps are not
shipped) and licences into `static/vendor/` and `static/licences/`, collects the
licences of every package npm installs for the served pins (what their bundles
contain: graphql-js, CodeMirror, markdown-it...) into `THIRD_PARTY`, and rewrites
`static/vendor/manifest.json`: per file its package, version, path in the tarball,
bytes, sha256 and the sha384 the page's `integrity` attributes carry. `problems()`
checks the shipped files against the manifest; the tests check the manifest against
these pins.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import tarfile
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"
VENDOR = STATIC / "vendor"
LICENCES = STATIC / "licences"
MANIFEST = VENDOR / "manifest.json"
# The licences of everything inside the served bundles, one file (`make ide-assets`).
THIRD_PARTY = LICENCES / "THIRD-PARTY-LICENCES.txt"


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
    described = {"package": pin.name, "version": pin.version, "kind": kind, "from": inside}
    return described | _hashes(data)


def _hashes(data: bytes) -> dict[str, Any]:
    """What the manifest records of a file's bytes: size, sha256, and sha384 (SRI)."""
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "integrity": sri(data)}


# A bundle's last line naming its source map (`//# sourceMappingURL=x.js.map`, or the
# CSS comment form): the maps are not shipped, so a browser's devtools would ask for
# them in vain (a 404 on every open).
_SOURCE_MAP = re.compile(
    rb"\n?(?://[#@] sourceMappingURL=[^\n]*|/\*[#@] sourceMappingURL=[^\n]*?\*/)\s*\Z"
)


def without_source_map(data: bytes) -> bytes:
    """`data` without its trailing sourceMappingURL comment (unchanged when it has none)."""
    return _SOURCE_MAP.sub(b"\n", data, count=1)


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


def _install(spec: str, into: Path) -> Path:
    """`npm install spec` into a project of its own (dependencies and peers, no
    scripts run): its node_modules."""
    into.mkdir()
    (into / "package.json").write_text('{"private": true}\n', encoding="utf-8")
    subprocess.run(
        [
            "npm",
            "install",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--no-package-lock",
            spec,
        ],
        capture_output=True,
        check=True,
        cwd=into,
    )
    return into / "node_modules"


_LICENCE_FILE = re.compile(r"^(un)?licen[cs]e|^copying", re.IGNORECASE)


def _installed(node_modules: Path) -> list[Path]:
    """Every package folder under `node_modules`, nested ones too (scoped: @scope/name)."""
    found: list[Path] = []
    if not node_modules.is_dir():
        return found
    for entry in sorted(node_modules.iterdir()):
        if entry.name.startswith("."):
            continue
        folders = sorted(entry.iterdir()) if entry.name.startswith("@") else [entry]
        for folder in folders:
            if (folder / "package.json").is_file():
                found.append(folder)
                found.extend(_installed(folder / "node_modules"))
    return found


def _licence_of(package: dict[str, Any]) -> str:
    """package.json's licence: an SPDX expression, or the old {type} / [{type}] forms."""
    declared = package.get("license", package.get("licenses"))
    if isinstance(declared, dict):
        declared = declared.get("type")
    if isinstance(declared, list):
        declared = " OR ".join(str(item.get("type", item)) for item in declared)
    return str(declared) if declared else "not stated"


def third_party_licences(trees: list[Path], specs: list[str]) -> bytes:
    """One text with the licence of every package installed under `trees` (each a
    node_modules folder), once per name and version, sorted: its licence file's text,
    or, when the package ships none, what its package.json declares."""
    texts: dict[tuple[str, str], str] = {}
    for folder in (folder for tree in trees for folder in _installed(tree)):
        package = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        name, version = str(package["name"]), str(package.get("version", "?"))
        if (name, version) in texts:
            continue
        repository = package.get("repository")
        if isinstance(repository, dict):
            repository = repository.get("url")
        files = sorted(p for p in folder.iterdir() if p.is_file() and _LICENCE_FILE.match(p.name))
        body = "\n\n".join(p.read_text(encoding="utf-8", errors="replace").strip() for p in files)
        heading = f"{name} {version} ({_licence_of(package)})"
        lines = [heading] + ([str(repository)] if repository else [])
        texts[(name, version)] = "\n".join(
            [
                "=" * 72,
                *lines,
                "-" * 72,
                body
                or f"(the package ships no licence file; its package.json declares: "
                f"{_licence_of(package)})",
                "",
            ]
        )
    about = (
        f"The {len(texts)} packages npm installs for {', '.join(specs)} (their dependencies "
        "and peers, a superset of what the served bundles contain), each with its licence. "
        "Written by `make ide-assets`."
    )
    preamble = (
        "Third-party software in the IDE's files (gateway/http/_ide/static/vendor/)\n\n"
        + textwrap.fill(about, 80)
        + "\n\n"
    )
    return (preamble + "\n".join(texts[key] for key in sorted(texts))).encode()


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
                data = without_source_map(_member(tarball, inside))
                (VENDOR / served).write_bytes(data)
                files[f"vendor/{served}"] = file_entry(pin, inside, data, kind="asset")
            if pin.licence is not None:
                licence_spec, inside = pin.licence
                data = _member(packed(licence_spec)[0], inside)
                (LICENCES / pin.licence_name).write_bytes(data)
                entry = file_entry(pin, f"{licence_spec}:{inside}", data, kind="licence")
                files[f"licences/{pin.licence_name}"] = entry
        bundled = [pin.spec for pin in pins if pin.files]
        trees = [_install(spec, into / f"tree-{i}") for i, spec in enumerate(bundled)]
        data = third_party_licences(trees, bundled)
        THIRD_PARTY.write_bytes(data)
        files[f"licences/{THIRD_PARTY.name}"] = {
            "kind": "third-party licences",
            "from": "npm install " + " ".join(bundled),
        } | _hashes(data)
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


def problems(static: Path = STATIC) -> list[str]:
    """How the shipped third-party files differ from their manifest (none: all match):
    a file missing, changed (sha256, size or sha384), or present but not listed."""
    manifest = read_manifest(static / MANIFEST.relative_to(STATIC))
    found: list[str] = []
    for name, entry in manifest["files"].items():
        path = static / name
        if not path.is_file():
            found.append(f"{name}: missing")
            continue
        if _hashes(path.read_bytes()) != {k: entry[k] for k in ("bytes", "sha256", "integrity")}:
            found.append(f"{name}: not the pinned file (run `{manifest['regenerate']}`)")
    for folder in (VENDOR.name, LICENCES.name):
        for path in sorted((static / folder).iterdir()):
            name = f"{folder}/{path.name}"
            if name not in manifest["files"] and path.name != MANIFEST.name:
                found.append(f"{name}: not in the manifest")
    return found
