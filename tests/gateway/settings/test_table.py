import dataclasses
from pathlib import Path

import pytest

from gateway.settings import Settings
from gateway.settings.__main__ import main
from gateway.settings._declare import declared
from gateway.settings._table import (
    BEGIN,
    END,
    REGENERATE,
    settings_table,
    shown_default,
    with_table,
)

DOCS = Path(__file__).parents[3] / "docs" / "settings.md"


def test_docs_settings_md_is_what_the_declarations_generate() -> None:
    document = DOCS.read_text(encoding="utf-8")
    assert document == with_table(document), (
        f"docs/settings.md is out of date with gateway/settings/_model.py: "
        f"run `{REGENERATE}` from the repository root (with .venv/bin/python)"
    )


def test_every_field_is_a_declared_setting_with_its_own_variable() -> None:
    pairs = list(declared(Settings))
    assert [field.name for field, _ in pairs] == [f.name for f in dataclasses.fields(Settings)]
    variables = [declaration.variable for _, declaration in pairs]
    assert len(set(variables)) == len(variables)
    assert all(variable.isupper() and " " not in variable for variable in variables)


def test_a_field_not_declared_with_setting_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Loose:
        port: int = 8000

    with pytest.raises(TypeError, match=r"Loose\.port is not declared with setting\(\)"):
        list(declared(Loose))


def test_each_default_the_table_shows_reads_back_as_the_default() -> None:
    # Set to what the table shows, a variable gives its default: the table shows it in the
    # form its own parser accepts.
    for field, declaration in declared(Settings):
        shown = shown_default(field, declaration)
        if not shown.startswith("`"):  # none, or made afresh (random per process)
            continue
        read = declaration.parse.convert(shown.strip("`"))
        assert read == field.default, declaration.variable


def test_each_description_is_one_sentence_on_one_line() -> None:
    for _, declaration in declared(Settings):
        description = declaration.description
        assert "\n" not in description, declaration.variable
        assert description.endswith("."), declaration.variable
        assert description[0].isupper() or description[0] == "`", declaration.variable
        assert declaration.parse.accepts, declaration.variable


def test_the_table_has_a_row_per_setting_with_its_default() -> None:
    rows = settings_table().splitlines()
    assert len(rows) == 2 + len(dataclasses.fields(Settings))
    assert "| `PORT` | `8000` | port number, 0 to 65535 | " in settings_table()
    assert "| `CACHE_TTL_S` | `60` |" in settings_table()
    assert "| `UPSTREAM_RETRY_BASE_S` | `0.1` |" in settings_table()
    assert "| `UPSTREAM_URL` | none |" in settings_table()
    assert "| `ALLOW_EXPLAIN` | `false` |" in settings_table()
    assert "| `CACHE_KEY_SECRET` | random per process |" in settings_table()


def test_only_the_part_between_the_markers_is_generated() -> None:
    document = f"# Prose above\n\n{BEGIN}\nstale\n{END}\n\nProse below.\n"
    generated = with_table(document)
    assert generated.startswith(f"# Prose above\n\n{BEGIN}\n")
    assert generated.endswith(f"{END}\n\nProse below.\n")
    assert "stale" not in generated
    assert settings_table() in generated
    assert with_table(generated) == generated


def test_a_document_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="settings:begin"):
        with_table("# Settings\n")


def test_the_command_checks_and_writes_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "settings.md"
    path.write_text(f"Above.\n{BEGIN}\n{END}\nBelow.\n", encoding="utf-8")
    assert main(["--check", str(path)]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert main(["--write", str(path)]) == 0
    written = path.read_text(encoding="utf-8")
    assert written.startswith(f"Above.\n{BEGIN}\n")
    assert written.endswith(f"\n{settings_table()}\n{END}\nBelow.\n")
    assert main(["--check", str(path)]) == 0
    assert main([]) == 0
    assert capsys.readouterr().out == settings_table()
