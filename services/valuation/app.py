"""The valuation service: bank-facing API, consumers and outbox relay in one process."""

from __future__ import annotations

from fastapi import FastAPI

from services.valuation.adapters.figures import valuation_figures
from services.valuation.adapters.orm import audit_log, metadata
from services.valuation.adapters.parameters import ParameterFiles
from services.valuation.bootstrap import bootstrap
from services.valuation.domain.events import DECISIONS
from services.valuation.entrypoints import api, appraisals
from services.valuation.entrypoints.consumers import VALUATION_CONSUMERS
from services.valuation.service_layer.deps import ValuationDeps, ValuationPolicy
from services.valuation.service_layer.unit_of_work import SqlValuationUnitOfWork
from services.valuation.settings import ValuationSettings
from shared.audit import install_audit
from shared.bus.base import EventBus
from shared.http import service_app
from shared.kernel.clock import Clock, SystemClock
from shared.runtime import ServiceRuntime
from shared.topics import VALUATIONS


def valuation_deps(settings: ValuationSettings, clock: Clock | None = None) -> ValuationDeps:
    """The parameters and limits the settings name, the stored parameter versions, a clock."""
    parameter_sets = ParameterFiles()
    policy = ValuationPolicy(
        parameters=parameter_sets.get(settings.parameter_version),
        signoff_threshold=settings.signoff_threshold,
        impairment_min_remaining_years=settings.impairment_min_remaining_years,
    )
    return ValuationDeps(policy, parameter_sets, clock or SystemClock())


def create_app(
    settings: ValuationSettings | None = None,
    bus: EventBus | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the app; resources are opened in the lifespan."""
    settings = settings or ValuationSettings()
    deps = valuation_deps(settings, clock)
    runtime = ServiceRuntime(
        "valuation",
        settings,
        metadata,
        SqlValuationUnitOfWork,
        lambda unit_of_work: bootstrap(unit_of_work, deps),
        consumers=VALUATION_CONSUMERS,
        produces=(VALUATIONS,),
        decisions=DECISIONS,
        bus=bus,
    )
    runtime.add_figures(valuation_figures(deps.clock.now))
    app = service_app(
        runtime,
        "Valuation of pledged patents and trademarks: ranges, methods, drivers and sign-off.",
        [api.router, appraisals.router],
    )
    install_audit(app, audit_log)
    return app
