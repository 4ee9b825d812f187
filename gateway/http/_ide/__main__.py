"""`python -m gateway.http._ide --update` (`make ide-assets`): fetch the IDE's pinned
files from the npm registry and rewrite their manifest; `--check` verifies the shipped
files against the manifest (exit 1 on a difference)."""

from __future__ import annotations

import argparse
import sys

from gateway.http._ide._vendor import problems, update


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.http._ide", description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--update", action="store_true", help="re-fetch the pinned files")
    action.add_argument("--check", action="store_true", help="verify the files")
    args = parser.parse_args(argv)
    if args.update:
        manifest = update()
        total = sum(entry["bytes"] for entry in manifest["files"].values())
        print(f"{len(manifest['files'])} files, {total} bytes, manifest rewritten")
    found = problems()
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
