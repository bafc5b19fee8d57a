"""Run one service over HTTP with its workers: `python -m services.<name>`."""

from __future__ import annotations

import importlib

import uvicorn

from shared.logging import configure_logging


def serve(service: str) -> None:
    """Start the service named `service` with settings from its environment."""
    settings_module = importlib.import_module(f"services.{service}.settings")
    settings_class = getattr(settings_module, f"{service.capitalize()}Settings")
    settings = settings_class()
    configure_logging(service, settings.log_level)
    app = importlib.import_module(f"services.{service}.app").create_app(settings)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        loop="uvloop",
        http="httptools",
    )
