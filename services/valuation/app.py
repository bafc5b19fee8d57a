"""The valuation service: bank-facing API, consumers and outbox relay in one process."""

from __future__ import annotations

from fastapi import FastAPI

from services.valuation.adapters.orm import audit_log, metadata
from services.valuation.domain import load_parameters
from services.valuation.entrypoints import api, appraisals
from services.valuation.entrypoints.consumers import valuation_consumers
from services.valuation.service_layer.events import VALUATIONS_TOPIC
from services.valuation.service_layer.handlers import ValuationPolicy
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from services.valuation.settings import ValuationSettings
from shared.audit import install_audit
from shared.bus.base import EventBus
from shared.http import service_app
from shared.runtime import ServiceRuntime


def create_app(settings: ValuationSettings | None = None, bus: EventBus | None = None) -> FastAPI:
    """Build the app; resources are opened in the lifespan."""
    settings = settings or ValuationSettings()
    policy = ValuationPolicy(
        parameters=load_parameters(settings.parameter_version),
        signoff_threshold=settings.signoff_threshold,
        impairment_min_remaining_years=settings.impairment_min_remaining_years,
    )
    runtime = ServiceRuntime(
        "valuation",
        settings,
        metadata,
        ValuationUnitOfWork,
        consumers=valuation_consumers(policy),
        produces=(VALUATIONS_TOPIC,),
        bus=bus,
    )

    app = service_app(
        runtime,
        "Valuation of pledged patents and trademarks: ranges, methods, drivers and sign-off.",
        [api.router, appraisals.router],
        policy=policy,
    )
    install_audit(app, audit_log)
    return app
