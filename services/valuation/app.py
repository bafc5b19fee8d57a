"""The valuation service: bank-facing API, consumers and outbox relay in one process."""

from __future__ import annotations

from fastapi import FastAPI

from services.valuation.adapters.orm import metadata
from services.valuation.domain import load_parameters
from services.valuation.entrypoints import api
from services.valuation.entrypoints.consumers import valuation_consumers
from services.valuation.service_layer.events import VALUATIONS_TOPIC
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from services.valuation.settings import ValuationSettings
from shared.bus.base import EventBus
from shared.http import service_app
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

    return service_app(
        runtime,
        "Valuation of pledged patents and trademarks: ranges, methods and drivers.",
        [api.router],
        parameters=parameters,
    )
