"""Fields whose value may be at hand: known without waiting, so the executor can
skip their resolver's machinery (`schema/_engine/execution.py`, `schema/_engine/compiler.py`).

A field declares it with `strawberry.field(resolver=..., metadata=at_hand(look, served))`:

- `look(parent, context)` returns what the resolver would return, when that is
  known at once (a fresh cache hit), and None otherwise. It has no side effects:
  the executor may look and then take another way.
- `served(parents, context)` does what serving those parents' values entails
  (counting the cache hits, the explain entries), once the executor has served
  them: compiled code serves a list's values together and reports them at once.

The resolver itself does the same on its synchronous path: look, then served.

`strawberry_field` and `declared_metadata` are how anything in `schema` reads a
served field's declaration (strawberry's own field, and its metadata): here, and
`schema/cost.py` for the costs fields declare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from graphql import GraphQLField
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

_KEY = "schema._engine.at_hand"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AtHand:
    look: Callable[[Any, Any], object]
    served: Callable[[list[Any], Any], None]


def at_hand(
    look: Callable[[Any, Any], object], served: Callable[[list[Any], Any], None]
) -> dict[str, AtHand]:
    """A field's metadata declaring how its value may be at hand."""
    return {_KEY: AtHand(look, served)}


def declared(field: GraphQLField) -> AtHand | None:
    """The field's declaration, if it makes one and takes no arguments."""
    return None if field.args else declared_metadata(field, _KEY, AtHand)


def strawberry_field(field: GraphQLField) -> StrawberryField | None:
    """The strawberry field a served field was made from; None if strawberry made none."""
    # Strawberry keeps it under this key of graphql-core's field's extensions.
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition if isinstance(definition, StrawberryField) else None


def declared_metadata(field: GraphQLField, key: str, kind: type[T]) -> T | None:
    """What the field's `strawberry.field(metadata=...)` holds under `key`, if a `kind`."""
    definition = strawberry_field(field)
    found = None if definition is None else definition.metadata.get(key)
    return found if isinstance(found, kind) else None
