"""The settings table of docs/settings.md, generated from the declarations in `model.py`.

Only the part of the document between `BEGIN` and `END` is generated; the prose around
it is written by hand.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from gateway.settings._declare import Declaration, declared
from gateway.settings._model import Settings

BEGIN = "<!-- settings:begin -->"
END = "<!-- settings:end -->"
REGENERATE = "python -m gateway.settings --write docs/settings.md"
_NOTE = (
    "<!-- Generated from the declarations in gateway/settings/_model.py: edit them, "
    f"then run `{REGENERATE}`. -->"
)


def settings_table() -> str:
    """One markdown row per setting, in the order declared."""
    rows = ["| variable | default | accepts | meaning |", "| --- | --- | --- | --- |"]
    for field, declaration in declared(Settings):
        cells = (
            f"`{declaration.variable}`",
            shown_default(field, declaration),
            declaration.parse.accepts,
            declaration.description,
        )
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def with_table(document: str) -> str:
    """`document` with what lies between its markers replaced by the settings table."""
    before, begin, rest = document.partition(BEGIN)
    _, end, after = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"the document has no {BEGIN} ... {END} markers")
    return f"{before}{BEGIN}\n{_NOTE}\n\n{settings_table()}\n{END}{after}"


def shown_default(field: dataclasses.Field[Any], declaration: Declaration) -> str:
    """A field's default as the table shows it."""
    if declaration.shown_default is not None:
        return declaration.shown_default
    value = field.default
    if value is None or value == ():
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{repr(value).removesuffix('.0')}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    if "\n" in text:
        raise ValueError(f"a table cell must be one line: {text!r}")
    return text.replace("|", "\\|")
