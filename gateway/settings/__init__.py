"""The gateway's configuration: one typed, immutable object read from the environment.

Each setting is declared once, as a field of `Settings` (`_model`): its variable,
parser (`_parsers`), default and description (`_declare.setting`). `from_env` and
docs/settings.md's table (`_table`; `python -m gateway.settings`) derive from them.
"""

from gateway.settings._declare import SettingsError
from gateway.settings._model import (
    DEFAULT_CUSTOMER_PROMOTIONS_PATH,
    DEFAULT_PROMOTION_LIST_PATH,
    DEFAULT_PROMOTION_PATH,
    Settings,
)
from gateway.settings._parsers import Environment

__all__ = [
    "DEFAULT_CUSTOMER_PROMOTIONS_PATH",
    "DEFAULT_PROMOTION_LIST_PATH",
    "DEFAULT_PROMOTION_PATH",
    "Environment",
    "Settings",
    "SettingsError",
]
