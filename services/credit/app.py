"""The credit service: bank-facing API, consumers and outbox relay in one process."""

from __future__ import annotations

from fastapi import FastAPI

from services.credit.adapters.orm import metadata
from services.credit.domain.events import LOANS_TOPIC
from services.credit.entrypoints import api
from services.credit.entrypoints.consumers import credit_consumers
from services.credit.service_layer.banks import load_banks
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from services.credit.settings import CreditSettings
from shared.bus.base import EventBus
from shared.http import service_app
from shared.runtime import ServiceRuntime


def create_app(settings: CreditSettings | None = None, bus: EventBus | None = None) -> FastAPI:
    """Build the app; resources are opened in the lifespan."""
    settings = settings or CreditSettings()
    banks = load_banks(settings.banks_file)
    runtime = ServiceRuntime(
        "credit",
        settings,
        metadata,
        CreditUnitOfWork,
        consumers=credit_consumers(banks),
        produces=(LOANS_TOPIC,),
        bus=bus,
    )

    return service_app(
        runtime,
        "IP-pledge loans for banks: applications, decisions, offers, disbursement.",
        [api.router],
        banks=banks,
    )
