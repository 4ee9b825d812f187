"""The IDE at /graphql (development): our page around GraphiQL and its explain panel
(`IdePage`), with GraphiQL, its explorer plugin and React served from pinned files
shipped in this package (`static/`, `python -m gateway.http._ide --update`)."""

from gateway.http._ide._assets import ROUTE, Assets
from gateway.http._ide._page import EXAMPLE_QUERY, EXAMPLE_VARIABLES, TITLE, IdePage

__all__ = ["EXAMPLE_QUERY", "EXAMPLE_VARIABLES", "ROUTE", "TITLE", "Assets", "IdePage"]
