"""The registry service: filings API, register endpoints, consumers and outbox relay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.registry.adapters.orm import metadata
from services.registry.domain.events import PLEDGES_TOPIC, RIGHTS_TOPIC
from services.registry.entrypoints import api
from services.registry.entrypoints.consumers import registry_consumers
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from services.registry.settings import RegistrySettings
from shared.bus.base import EventBus
from shared.http import health_router, install_conventions
from shared.runtime import ServiceRuntime
from shared.workdays import OfficialCalendar


def create_app(settings: RegistrySettings | None = None, bus: EventBus | None = None) -> FastAPI:
    """Build the app; resources are opened in the lifespan."""
    settings = settings or RegistrySettings()
    calendar = OfficialCalendar()
    runtime = ServiceRuntime(
        "registry",
        settings,
        metadata,
        RegistryUnitOfWork,
        consumers=registry_consumers(calendar),
        produces=(RIGHTS_TOPIC, PLEDGES_TOPIC),
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
        title="pledgeflow registry",
        version="1.0",
        description="Electronic registration of patent and trademark pledges.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.calendar = calendar
    install_conventions(app)
    app.include_router(api.public)
    app.include_router(api.internal)
    app.include_router(health_router(runtime.readiness))
    return app
