"""The IDE's third-party files are the pinned ones: files against the manifest, the
manifest against the pins, a licence for every package and for what their bundles
contain, no dangling source map reference."""

import json
import re
import shutil
from pathlib import Path

from gateway.http._ide._vendor import (
    PINS,
    STATIC,
    THIRD_PARTY,
    problems,
    read_manifest,
    sri,
    third_party_licences,
    without_source_map,
)


def test_the_shipped_files_are_the_ones_the_manifest_pins() -> None:
    assert problems() == []


def test_a_changed_missing_or_unlisted_file_is_found(tmp_path: Path) -> None:
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    graphiql = copy / "vendor" / "graphiql.min.js"
    graphiql.write_bytes(graphiql.read_bytes().replace(b"GraphiQL", b"GraphiqL", 1))
    (copy / "vendor" / "react.production.min.js").unlink()
    (copy / "vendor" / "extra.js").write_text("alert(1)")
    assert sorted(problems(copy)) == [
        "vendor/extra.js: not in the manifest",
        "vendor/graphiql.min.js: not the pinned file (run `make ide-assets`)",
        "vendor/react.production.min.js: missing",
    ]


def test_the_manifest_is_what_the_pins_generate() -> None:
    manifest = read_manifest()
    assert {name: entry["version"] for name, entry in manifest["packages"].items()} == {
        pin.name: pin.version for pin in PINS
    }
    served = {
        f"vendor/{name}": (pin.name, pin.version, inside)
        for pin in PINS
        for inside, name in pin.files.items()
    }
    listed = {
        name: (entry["package"], entry["version"], entry["from"])
        for name, entry in manifest["files"].items()
        if entry["kind"] == "asset"
    }
    assert listed == served
    for entry in manifest["packages"].values():
        assert entry["integrity"].startswith("sha512-")  # the registry's, of the tarball


def test_every_package_has_its_licence() -> None:
    files = read_manifest()["files"]
    licences = {entry["package"] for entry in files.values() if entry["kind"] == "licence"}
    assert licences == {pin.name for pin in PINS}
    for pin in PINS:
        text = (STATIC / "licences" / pin.licence_name).read_text()
        assert "MIT License" in text
        assert "Permission is hereby granted" in text


def test_sri_is_the_browsers_sha384() -> None:
    # The SRI spec's example: sha384 of "alert('Hello, world.');".
    assert sri(b"alert('Hello, world.');") == (
        "sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO"
    )


def test_the_licences_of_what_the_bundles_contain_are_shipped_and_listed() -> None:
    entry = read_manifest()["files"][f"licences/{THIRD_PARTY.name}"]
    assert entry["kind"] == "third-party licences"
    served = [pin.spec for pin in PINS if pin.files]
    assert entry["from"] == "npm install " + " ".join(served)
    text = THIRD_PARTY.read_text()
    # Libraries inside graphiql.min.js and the explorer's bundle, each with its licence text.
    sections = dict(re.findall(r"^={72}\n(\S+) \S+ \(([^)]*)\)\n(?:.*\n)*?-{72}\n", text, re.M))
    for bundled in (
        "graphql",
        "codemirror",
        "codemirror-graphql",
        "markdown-it",
        "linkify-it",
        "framer-motion",
        "@graphiql/react",
        "@radix-ui/react-dialog",
        "graphiql-explorer",
        "react-dom",
    ):
        assert sections.get(bundled) == "MIT", bundled
    for library in ("graphql", "codemirror", "markdown-it", "framer-motion"):
        section = text.split(f"\n{library} ", 1)[1].split("=" * 72, 1)[0]
        assert "Permission is hereby granted" in section, library


def package(folder: Path, manifest: dict[str, object], **files: str) -> None:
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps(manifest))
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(text)


def test_third_party_licences_cover_every_installed_package_once(tmp_path: Path) -> None:
    one, two = tmp_path / "one" / "node_modules", tmp_path / "two" / "node_modules"
    package(one / "lib", {"name": "lib", "version": "1.0.0", "license": "MIT"}, LICENSE="lib's")
    package(
        one / "@scope" / "kit",
        {"name": "@scope/kit", "version": "2.0.0", "license": {"type": "ISC"}},
        LICENCE_md="kit's",
    )
    package(
        one / "@scope" / "kit" / "node_modules" / "lib",
        {"name": "lib", "version": "0.9.0", "license": "BSD-3-Clause"},
        COPYING="old lib's",
    )
    package(one / "bare", {"name": "bare", "version": "3.0.0", "license": "MIT"})
    (one / ".package-lock.json").write_text("{}")
    package(two / "lib", {"name": "lib", "version": "1.0.0", "license": "MIT"}, LICENSE="lib's")
    text = third_party_licences([one, two], ["a@1", "b@2"]).decode()
    headings = re.findall(r"^={72}\n(.*)$", text, re.M)
    assert headings == [
        "@scope/kit 2.0.0 (ISC)",
        "bare 3.0.0 (MIT)",
        "lib 0.9.0 (BSD-3-Clause)",
        "lib 1.0.0 (MIT)",
    ]
    assert "The 4 packages npm installs for a@1, b@2" in text
    for licence in ("kit's", "old lib's", "lib's"):
        assert f"\n{licence}\n" in text
    assert "ships no licence file; its package.json declares: MIT" in text


def test_a_bundle_s_source_map_comment_is_dropped() -> None:
    assert without_source_map(b"a();\n//# sourceMappingURL=a.js.map\n") == b"a();\n"
    assert without_source_map(b"a{}\n/*# sourceMappingURL=a.css.map */") == b"a{}\n"
    kept = b"x('//# sourceMappingURL=y');\nz();\n"
    assert without_source_map(kept) == kept
    for entry in read_manifest()["files"]:
        if entry.startswith("vendor/"):
            assert b"sourceMappingURL" not in (STATIC / entry).read_bytes()[-300:], entry
