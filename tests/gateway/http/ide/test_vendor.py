"""The IDE's third-party files are the pinned ones: files against the manifest, the
manifest against the pins, a licence for every package."""

import shutil
from pathlib import Path

from gateway.http._ide._assets import problems
from gateway.http._ide._vendor import PINS, STATIC, read_manifest, sri


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
