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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLField
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

_KEY = "schema._engine.at_hand"


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
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or field.args:
        return None
    found = definition.metadata.get(_KEY)
    return found if isinstance(found, AtHand) else None
