"""Python names as GraphQL spells them, converted once each."""

from __future__ import annotations

from strawberry.schema.name_converter import NameConverter


class NamesConvertedOnce(NameConverter):
    """Strawberry's camel-casing, remembered: it converts every argument's name
    again on every call of a resolver that takes arguments. The names are the
    schema's own, so there are few."""

    def __init__(self) -> None:
        super().__init__()
        self._converted: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        converted = self._converted.get(name)
        if converted is None:
            converted = self._converted[name] = super().apply_naming_config(name)
        return converted
