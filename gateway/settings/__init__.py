"""The gateway's configuration: one typed, immutable object read from the environment."""

from gateway.settings.model import (
    DEFAULT_CUSTOMER_PROMOTIONS_PATH,
    DEFAULT_PROMOTION_LIST_PATH,
    DEFAULT_PROMOTION_PATH,
    Environment,
    Settings,
    SettingsError,
)

__all__ = [
    "DEFAULT_CUSTOMER_PROMOTIONS_PATH",
    "DEFAULT_PROMOTION_LIST_PATH",
    "DEFAULT_PROMOTION_PATH",
    "Environment",
    "Settings",
    "SettingsError",
]
