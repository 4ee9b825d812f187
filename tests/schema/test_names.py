from strawberry.schema.name_converter import NameConverter

from schema import build_schema
from schema.names import NamesConvertedOnce


def test_names_are_converted_as_strawberry_converts_them() -> None:
    names = NamesConvertedOnce()
    for name in ("identifier_type", "first", "program_ids", "fetch_all_usage", "a__b", "_x"):
        assert names.apply_naming_config(name) == NameConverter().apply_naming_config(name)
        assert names.apply_naming_config(name) == NameConverter().apply_naming_config(name)


def test_the_schema_uses_them() -> None:
    assert isinstance(build_schema().config.name_converter, NamesConvertedOnce)
