"""The registry service: filings API, register endpoints, consumers and outbox relay."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry.adapters.orm import metadata
from services.registry.domain.events import PLEDGES_TOPIC, RIGHTS_TOPIC
from services.registry.entrypoints import api
from services.registry.entrypoints.consumers import registry_consumers
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from services.registry.settings import RegistrySettings
from shared.bus.base import EventBus
from shared.http import service_app
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

    return service_app(
        runtime,
        "Electronic registration of patent and trademark pledges.",
        [api.public, api.internal],
        calendar=calendar,
    )
