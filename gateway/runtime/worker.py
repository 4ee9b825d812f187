"""What each uvicorn worker process runs: its settings from the environment (each
worker reads them), logging, the app, and the heap tuned for serving."""

from __future__ import annotations

from starlette.applications import Starlette

from gateway.app import create_app
from gateway.observability import configure_logging
from gateway.runtime._heap import tune_for_serving
from gateway.runtime._sandbox import sandbox_url
from gateway.settings import Settings


def app_from_env() -> Starlette:
    """The uvicorn factory (`gateway.runtime.worker:app_from_env`)."""
    settings = Settings.from_env()
    configure_logging(settings.log_level, json_lines=settings.is_production)
    app = create_app(settings, sandbox_authorization=sandbox_authorization(settings))
    tune_for_serving()
    return app


def sandbox_authorization(settings: Settings) -> str | None:
    """The embedded sandbox's demo credential when the upstream is that sandbox (the
    one the CLI starts on SANDBOX_PORT, or `make sandbox`'s), else None: the IDE may
    show the sandbox's public credential, never a configured one."""
    if settings.upstream_url != sandbox_url(settings.sandbox_port):
        return None
    from sandbox import DEMO_AUTHORIZATION

    return DEMO_AUTHORIZATION
