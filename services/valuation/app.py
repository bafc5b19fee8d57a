"""The valuation service: bank-facing API, consumers and outbox relay in one process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.valuation.adapters.orm import metadata
from services.valuation.domain import load_parameters
from services.valuation.entrypoints import api
from services.valuation.entrypoints.consumers import valuation_consumers
from services.valuation.service_layer.events import VALUATIONS_TOPIC
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from services.valuation.settings import ValuationSettings
from shared.bus.base import EventBus
from shared.http import health_router, install_conventions
from shared.runtime import ServiceRuntime


def create_app(settings: ValuationSettings | None = None, bus: EventBus | None = None) -> FastAPI:
    """Build the app; resources are opened in the lifespan."""
    settings = settings or ValuationSettings()
    parameters = load_parameters(settings.parameter_version)
    runtime = ServiceRuntime(
        "valuation",
        settings,
        metadata,
        ValuationUnitOfWork,
        consumers=valuation_consumers(parameters),
        produces=(VALUATIONS_TOPIC,),
        bus=bus,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="pledgeflow valuation",
        version="1.0",
        description="Valuation of pledged patents and trademarks: ranges, methods and drivers.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.parameters = parameters
    install_conventions(app)
    app.include_router(api.router)
    app.include_router(health_router(runtime.readiness))
    return app
