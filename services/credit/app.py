"""The credit service: bank-facing and internal APIs, consumers, outbox relay and timers."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.credit.adapters.figures import credit_figures
from services.credit.adapters.orm import audit_log, metadata
from services.credit.adapters.reconciliation import HttpPledgeRegister
from services.credit.bootstrap import bootstrap
from services.credit.domain.events import DECISIONS, LOANS_TOPIC
from services.credit.entrypoints import api, internal_api, reconciliation_api
from services.credit.entrypoints.calendar_keeper import CalendarKeeper
from services.credit.entrypoints.consumers import CREDIT_CONSUMERS
from services.credit.entrypoints.sweeper import TimeoutSweeper
from services.credit.service_layer.banks import load_config
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.reconciliation import PledgeRegister, Reconciler
from services.credit.service_layer.terms import (
    NOTIFY_CHANNEL,
    CatchUpTerms,
    LendingTerms,
    ShareTerms,
)
from services.credit.service_layer.unit_of_work import SqlCreditUnitOfWork
from services.credit.settings import CreditSettings
from shared.audit import install_audit
from shared.auth import Role
from shared.banks import load_directory
from shared.bus.base import EventBus
from shared.calendar_api import calendar_router
from shared.calendars import CalendarBook, change_channel
from shared.http import service_app
from shared.issuer import LocalIssuer, development_issuer
from shared.kernel.clock import Clock, SystemClock
from shared.notify import ChangeListener
from shared.periodic import every
from shared.runtime import ServiceRuntime
from shared.workdays import OfficialCalendar

CREDIT_DESK = (Role.CREDIT_OFFICER, Role.SUPERVISOR, Role.ADMINISTRATOR)


def create_app(
    settings: CreditSettings | None = None,
    bus: EventBus | None = None,
    clock: Clock | None = None,
    calendar: OfficialCalendar | None = None,
    pledge_register: PledgeRegister | None = None,
) -> FastAPI:
    """Build the app; resources are opened in the lifespan."""
    settings = settings or CreditSettings()
    directory = load_directory(settings.bank_directory_file)
    config = load_config(settings.banks_file, directory)
    calendar = calendar or OfficialCalendar()
    terms = LendingTerms(config, directory)
    deps = CreditDeps(
        banks=terms.banks,
        programmes=terms.programmes,
        calendar=calendar,
        clock=clock or SystemClock(),
        book=CalendarBook(calendar, settings.calendar_warn_from),
        terms=terms,
    )
    runtime = ServiceRuntime(
        "credit",
        settings,
        metadata,
        SqlCreditUnitOfWork,
        lambda unit_of_work: bootstrap(unit_of_work, deps),
        consumers=CREDIT_CONSUMERS,
        produces=(LOANS_TOPIC,),
        decisions=DECISIONS,
        bus=bus,
    )
    sweeper = TimeoutSweeper(lambda: runtime.messages)
    keeper = CalendarKeeper(lambda: runtime.messages, deps, settings.calendar_refresh_interval)
    runtime.add_startup("lending-terms", lambda: runtime.messages.handle(ShareTerms()))
    runtime.add_startup("calendar-load", keeper.catch_up)
    runtime.add_worker("sweeper", lambda: every(settings.sweep_interval, sweeper.sweep))
    runtime.add_worker("calendar", keeper.run)
    runtime.add_worker(
        "calendar-changes",
        lambda: ChangeListener(runtime.engine, change_channel("credit"), deps.book.wake).run(),
    )
    runtime.add_worker(
        "lending-terms",
        lambda: terms.follow(
            settings.terms_refresh_interval, lambda: runtime.messages.handle(CatchUpTerms())
        ),
    )
    runtime.add_worker(
        "lending-terms-changes",
        lambda: ChangeListener(runtime.engine, NOTIFY_CHANNEL, terms.wake).run(),
    )
    runtime.add_warnings(lambda: deps.book.warnings(deps.clock.now()))
    runtime.add_figures(credit_figures)
    reconciler = Reconciler(
        lambda: runtime.messages,
        pledge_register or HttpPledgeRegister(settings.registry_url, _issuer(settings)),
        deps,
        timedelta(seconds=settings.reconciliation_grace_seconds),
        lambda: runtime.metrics,
    )
    interval = settings.reconciliation_interval
    runtime.add_worker(
        "reconciliation", lambda: every(interval, reconciler.scheduled, first_delay=interval)
    )
    app = service_app(
        runtime,
        "IP-pledge loans for banks: applications, decisions, offers, disbursement, repayment, "
        "default; referrals and statistics for the credit desk.",
        [
            api.router,
            internal_api.router,
            reconciliation_api.router,
            calendar_router(*CREDIT_DESK, tag="credit desk"),
        ],
        banks=terms.banks,
        bank_directory=directory,
        deps=deps,
        sweeper=sweeper,
        calendar_book=deps.book,
        calendar_keeper=keeper,
        reconciler=reconciler,
    )
    install_audit(app, audit_log)
    return app


def _issuer(settings: CreditSettings) -> LocalIssuer:
    """The issuer of the credential credit reads the registry's pledges with."""
    if settings.reconciliation_issuer is None or settings.reconciliation_issuer_keys is None:
        return development_issuer()
    return LocalIssuer(settings.reconciliation_issuer, settings.reconciliation_issuer_keys)
