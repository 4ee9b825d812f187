"""What each uvicorn worker process runs: its settings from the environment (each
worker reads them), logging, the app, draining on SIGTERM (`_drain`), and the heap
tuned for serving."""

from __future__ import annotations

import os
from collections.abc import Mapping

from starlette.applications import Starlette

from gateway.app import create_app
from gateway.observability import configure_logging
from gateway.runtime._drain import drain_on_sigterm
from gateway.runtime._heap import tune_for_serving
from gateway.runtime._sandbox import EMBEDDED_SANDBOX
from gateway.settings import Settings


def app_from_env() -> Starlette:
    """The uvicorn factory (`gateway.runtime.worker:app_from_env`)."""
    settings = Settings.from_env()
    configure_logging(settings.log_level, json_lines=settings.is_production)
    app = create_app(settings, sandbox_authorization=sandbox_authorization(settings, os.environ))
    drain_on_sigterm(app.state.readiness.drain, settings.shutdown_drain_s)
    tune_for_serving()
    return app


def sandbox_authorization(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """The embedded sandbox's demo credential when the upstream is the sandbox the CLI
    started for this process (it names it in EMBEDDED_SANDBOX), else None: the IDE may
    show the sandbox's public credential, never a configured one, and an upstream that
    merely listens on SANDBOX_PORT is not that sandbox."""
    started = environ.get(EMBEDDED_SANDBOX)
    if started is None or started != settings.upstream_url:
        return None
    from sandbox import DEMO_AUTHORIZATION

    return DEMO_AUTHORIZATION
