"""The gateway's configuration: one typed, immutable object read from the environment.

Each setting is declared once, as a field of `Settings` (`_model`): its variable,
parser (`_parsers`), default and description (`_declare.setting`). `from_env` and
docs/settings.md's table (`_table`; `python -m gateway.settings`) derive from them.
"""

from gateway.settings._declare import SettingsError
from gateway.settings._model import Settings
from gateway.settings._parsers import Environment

__all__ = [
    "Environment",
    "Settings",
    "SettingsError",
]
