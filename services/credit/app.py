"""The credit service: bank-facing and internal APIs, consumers, outbox relay and sweeper."""

from __future__ import annotations

from fastapi import FastAPI

from services.credit.adapters.orm import audit_log, metadata
from services.credit.bootstrap import bootstrap
from services.credit.domain.events import LOANS_TOPIC
from services.credit.entrypoints import api, internal_api
from services.credit.entrypoints.consumers import CREDIT_CONSUMERS
from services.credit.entrypoints.sweeper import TimeoutSweeper
from services.credit.service_layer.banks import load_config
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import SqlCreditUnitOfWork
from services.credit.settings import CreditSettings
from shared.audit import install_audit
from shared.banks import load_directory
from shared.bus.base import EventBus
from shared.http import service_app
from shared.kernel.clock import Clock, SystemClock
from shared.periodic import every
from shared.runtime import ServiceRuntime
from shared.workdays import OfficialCalendar


def create_app(
    settings: CreditSettings | None = None,
    bus: EventBus | None = None,
    clock: Clock | None = None,
    calendar: OfficialCalendar | None = None,
) -> FastAPI:
    """Build the app; resources are opened in the lifespan."""
    settings = settings or CreditSettings()
    directory = load_directory(settings.bank_directory_file)
    config = load_config(settings.banks_file, directory)
    deps = CreditDeps(
        banks=config.banks,
        programmes=config.programmes,
        calendar=calendar or OfficialCalendar(),
        clock=clock or SystemClock(),
    )
    runtime = ServiceRuntime(
        "credit",
        settings,
        metadata,
        SqlCreditUnitOfWork,
        lambda unit_of_work: bootstrap(unit_of_work, deps),
        consumers=CREDIT_CONSUMERS,
        produces=(LOANS_TOPIC,),
        bus=bus,
    )

    sweeper = TimeoutSweeper(lambda: runtime.messages)
    runtime.add_worker("sweeper", lambda: every(settings.sweep_interval, sweeper.sweep))
    app = service_app(
        runtime,
        "IP-pledge loans for banks: applications, decisions, offers, disbursement, repayment, "
        "default; referrals and statistics for the credit desk.",
        [api.router, internal_api.router],
        banks=config.banks,
        bank_directory=directory,
        deps=deps,
        sweeper=sweeper,
    )
    install_audit(app, audit_log)
    return app
