"""What each uvicorn worker process runs: its settings from the environment (each
worker reads them), logging, the app, and the heap tuned for serving."""

from __future__ import annotations

from starlette.applications import Starlette

from gateway.app import create_app
from gateway.observability import configure_logging
from gateway.runtime._heap import tune_for_serving
from gateway.settings import Settings


def app_from_env() -> Starlette:
    """The uvicorn factory (`gateway.runtime.worker:app_from_env`)."""
    settings = Settings.from_env()
    configure_logging(settings.log_level, json_lines=settings.is_production)
    app = create_app(settings)
    tune_for_serving()
    return app
