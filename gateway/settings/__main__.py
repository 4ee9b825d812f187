"""`python -m gateway.settings`: print the settings table (markdown) generated from the
declarations; `--write FILE` puts it between FILE's markers, `--check FILE` exits 1 when
FILE's table is not what the declarations generate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.settings._table import REGENERATE, settings_table, with_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.settings", description=__doc__)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="FILE", type=Path, help="update FILE's table")
    action.add_argument(
        "--check", metavar="FILE", type=Path, help="exit 1 if FILE's table is stale"
    )
    args = parser.parse_args(argv)
    if args.write is None and args.check is None:
        sys.stdout.write(settings_table())
        return 0
    path: Path = args.write or args.check
    document = path.read_text(encoding="utf-8")
    generated = with_table(document)
    if args.check is not None:
        if generated != document:
            print(f"{path} is out of date: run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    if generated != document:
        path.write_text(generated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
