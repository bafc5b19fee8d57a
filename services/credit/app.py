"""The credit service: bank-facing and internal APIs, consumers, outbox relay and sweeper."""

from __future__ import annotations

import logging
from typing import cast

from fastapi import FastAPI

from services.credit.adapters.orm import audit_log, metadata
from services.credit.domain.events import LOANS_TOPIC
from services.credit.entrypoints import api, internal_api
from services.credit.entrypoints.calendar_keeper import CalendarKeeper
from services.credit.entrypoints.consumers import credit_consumers
from services.credit.entrypoints.sweeper import TimeoutSweeper
from services.credit.service_layer.banks import load_config
from services.credit.service_layer.clock import Clock, SystemClock
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from services.credit.settings import CreditSettings
from shared.audit import install_audit
from shared.auth import Role
from shared.bus.base import EventBus
from shared.calendars import CalendarBook, calendar_router
from shared.http import service_app
from shared.runtime import ServiceRuntime
from shared.workdays import OfficialCalendar

log = logging.getLogger(__name__)

CREDIT_DESK = (Role.CREDIT_OFFICER, Role.SUPERVISOR, Role.ADMINISTRATOR)


class CreditRuntime(ServiceRuntime):
    """The shared runtime plus the deadline sweeper and the keeper of the calendar."""

    def __init__(
        self,
        settings: CreditSettings,
        deps: CreditDeps,
        book: CalendarBook,
        bus: EventBus | None,
    ) -> None:
        super().__init__(
            "credit",
            settings,
            metadata,
            CreditUnitOfWork,
            consumers=credit_consumers(deps, book),
            produces=(LOANS_TOPIC,),
            bus=bus,
        )
        self.deps, self.book = deps, book
        self.sweeper = TimeoutSweeper(self.credit_unit_of_work, deps, settings.sweep_interval)
        self.calendar_keeper = CalendarKeeper(
            self.credit_unit_of_work, book, deps, settings.calendar_refresh_interval
        )
        self.add_worker("sweeper", self.sweeper.run)
        self.add_worker("calendar", self.calendar_keeper.run)

    async def start(self) -> None:
        """Start the shared parts and the workers; the stored schedules are in force at once."""
        await super().start()
        try:
            await self.calendar_keeper.catch_up()
        except Exception:
            log.exception("stored calendar years not loaded at start; the keeper retries")

    def warnings(self) -> dict[str, str]:
        """Working-day schedules missing for this year or, from the warning day, next year."""
        return self.book.warnings(self.deps.clock.now())

    def credit_unit_of_work(self) -> CreditUnitOfWork:
        """A fresh unit of work on the credit database."""
        return cast(CreditUnitOfWork, self.unit_of_work())


def create_app(
    settings: CreditSettings | None = None,
    bus: EventBus | None = None,
    clock: Clock | None = None,
    calendar: OfficialCalendar | None = None,
) -> FastAPI:
    """Build the app; resources are opened in the lifespan."""
    settings = settings or CreditSettings()
    config = load_config(settings.banks_file)
    deps = CreditDeps(
        banks=config.banks,
        programmes=config.programmes,
        calendar=calendar or OfficialCalendar(),
        clock=clock or SystemClock(),
    )
    book = CalendarBook(deps.calendar, settings.calendar_warn_from)
    runtime = CreditRuntime(settings, deps, book, bus)
    app = service_app(
        runtime,
        "IP-pledge loans for banks: applications, decisions, offers, disbursement, repayment, "
        "default; referrals and statistics for the credit desk.",
        [
            api.router,
            internal_api.router,
            calendar_router(*CREDIT_DESK, tag="credit desk"),
        ],
        banks=config.banks,
        deps=deps,
        calendar_book=book,
    )
    install_audit(app, audit_log)
    return app
