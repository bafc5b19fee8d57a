"""The registry service: filings API, examiner's desk, register endpoints, consumers, relay."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from services.registry.adapters.orm import audit_log
from services.registry.entrypoints import (
    api,
    bulk_api,
    examiner_api,
    gazette_api,
    office_api,
    pledges_api,
)
from services.registry.entrypoints.consumers import registry_consumers
from services.registry.entrypoints.problems import install_problems
from services.registry.runtime import Clock, RegistryRuntime
from services.registry.settings import RegistrySettings
from shared.audit import install_audit
from shared.auth import Role
from shared.bus.base import EventBus
from shared.calendars import CalendarBook, calendar_router
from shared.http import service_app
from shared.workdays import OfficialCalendar

OFFICE = (Role.EXAMINER, Role.SUPERVISOR, Role.ADMINISTRATOR)


def utc_now() -> datetime:
    """The current instant in UTC."""
    return datetime.now(UTC)


def create_app(
    settings: RegistrySettings | None = None,
    bus: EventBus | None = None,
    clock: Clock = utc_now,
) -> FastAPI:
    """Build the app; resources are opened in the lifespan. `app.state.clock` tells the time."""
    settings = settings or RegistrySettings()
    calendar = OfficialCalendar()
    book = CalendarBook(calendar, settings.calendar_warn_from)

    def now() -> datetime:
        current: Clock = app.state.clock
        return current()

    runtime = RegistryRuntime(settings, book, now, registry_consumers(calendar, now), bus)
    app = service_app(
        runtime,
        "Electronic registration of patent and trademark pledges.",
        [
            api.public,
            pledges_api.router,
            gazette_api.router,
            bulk_api.router,
            api.internal,
            examiner_api.router,
            office_api.router,
            calendar_router(*OFFICE, tag="register (registry office)"),
        ],
        calendar=calendar,
        calendar_book=book,
        clock=clock,
    )
    install_problems(app)
    install_audit(app, audit_log)
    return app
