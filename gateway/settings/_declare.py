"""How a setting is declared: one dataclass field carries its environment variable, its
parser, its default and its description, and everything else is derived from that field
(reading the environment here, the settings table in `gateway.settings._table`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, Generic, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

_KEY = "gateway.setting"


class SettingsError(ValueError):
    """A setting from the environment that cannot be used."""


# Plain classes, not dataclasses: each dataclass costs about a millisecond at import.


class Parser(Generic[T_co]):
    """Turns a variable's text into a value, or raises ValueError saying what is wrong;
    `accepts` is what the variable takes, as the settings table says it."""

    __slots__ = ("accepts", "convert")

    def __init__(self, convert: Callable[[str], T_co], accepts: str) -> None:
        self.convert: Final = convert
        self.accepts: Final = accepts


def parser(accepts: str) -> Callable[[Callable[[str], T]], Parser[T]]:
    """Declare a function from text to value as a parser taking `accepts`."""

    def declare(convert: Callable[[str], T]) -> Parser[T]:
        return Parser(convert, accepts)

    return declare


class Factory(Generic[T_co]):
    """A default made afresh for each `Settings`, shown in the table as `shown`."""

    __slots__ = ("make", "shown")

    def __init__(self, make: Callable[[], T_co], shown: str) -> None:
        self.make: Final = make
        self.shown: Final = shown


class Declaration:
    """What one field declares, kept in the field's metadata; `shown_default` is the
    table's default for a field whose default is made by a factory."""

    __slots__ = ("description", "parse", "secret", "shown_default", "variable")

    def __init__(
        self,
        variable: str,
        parse: Parser[Any],
        description: str,
        shown_default: str | None = None,
        *,
        secret: bool = False,
    ) -> None:
        self.variable: Final = variable
        self.secret: Final = secret
        self.parse: Final = parse
        self.description: Final = description
        self.shown_default: Final = shown_default


def setting(
    variable: str,
    parse: Parser[T],
    default: T | Factory[T],
    description: str,
    *,
    secret: bool = False,
) -> T:
    """A `Settings` field read from `variable` by `parse`; `secret` keeps it out of reprs.

    Typed as the value it defaults to, so that mypy checks the field's annotation
    against both the default and the parser; it is really a dataclass field.
    """
    if isinstance(default, Factory):
        metadata = {_KEY: Declaration(variable, parse, description, default.shown, secret=secret)}
        return dataclasses.field(default_factory=default.make, repr=not secret, metadata=metadata)
    metadata = {_KEY: Declaration(variable, parse, description, secret=secret)}
    return dataclasses.field(default=default, repr=not secret, metadata=metadata)


def declared(cls: type[Any]) -> Iterator[tuple[dataclasses.Field[Any], Declaration]]:
    """Each field of the dataclass `cls` with its declaration, in the order declared."""
    for field in dataclasses.fields(cls):
        declaration = field.metadata.get(_KEY)
        if not isinstance(declaration, Declaration):
            raise TypeError(f"{cls.__name__}.{field.name} is not declared with setting()")
        yield field, declaration


def read_environment(cls: type[Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The fields of `cls` whose variables are set (and not blank) in `environ`, parsed."""
    values: dict[str, Any] = {}
    for field, declaration in declared(cls):
        raw = environ.get(declaration.variable, "").strip()
        if not raw:
            continue
        try:
            values[field.name] = declaration.parse.convert(raw)
        except ValueError as error:
            # A secret's value never reaches a log, even a malformed one.
            shown = "<redacted>" if declaration.secret else repr(raw)
            raise SettingsError(f"{declaration.variable}={shown}: {error}") from None
    return values
