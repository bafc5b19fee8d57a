"""The registry service: filings API, examiner's desk, register endpoints, consumers, relay."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry.adapters.figures import filing_figures
from services.registry.adapters.orm import audit_log, metadata
from services.registry.bootstrap import bootstrap
from services.registry.domain.events import (
    CALENDAR_TOPIC,
    DECISIONS,
    PLEDGES_TOPIC,
    RIGHTS_TOPIC,
)
from services.registry.entrypoints import (
    api,
    bulk_api,
    examiner_api,
    gazette_api,
    office_api,
    pledge_book_api,
    pledges_api,
)
from services.registry.entrypoints.consumers import registry_consumers
from services.registry.runtime import RegistryTimers
from services.registry.service_layer.deps import RegistryDeps
from services.registry.service_layer.unit_of_work import SqlRegistryUnitOfWork
from services.registry.settings import RegistrySettings
from shared.audit import install_audit
from shared.auth import Role
from shared.bus.base import EventBus
from shared.calendar_api import calendar_router
from shared.calendars import CalendarBook
from shared.http import service_app
from shared.kernel.clock import Clock, SystemClock
from shared.runtime import ServiceRuntime
from shared.workdays import OfficialCalendar

OFFICE = (Role.EXAMINER, Role.SUPERVISOR, Role.ADMINISTRATOR)


def create_app(
    settings: RegistrySettings | None = None,
    bus: EventBus | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the app; resources are opened in the lifespan."""
    settings = settings or RegistrySettings()
    calendar = OfficialCalendar()
    book = CalendarBook(calendar, settings.calendar_warn_from)
    deps = RegistryDeps(calendar=calendar, book=book, clock=clock or SystemClock())
    runtime = ServiceRuntime(
        "registry",
        settings,
        metadata,
        SqlRegistryUnitOfWork,
        lambda unit_of_work: bootstrap(unit_of_work, deps),
        consumers=registry_consumers(deps.clock),
        produces=(RIGHTS_TOPIC, PLEDGES_TOPIC, CALENDAR_TOPIC),
        decisions=DECISIONS,
        bus=bus,
    )
    timers = RegistryTimers(runtime, deps)
    timers.install(settings.calendar_refresh_interval, settings.sla_check_interval)
    runtime.add_figures(filing_figures(deps.clock.now))
    app = service_app(
        runtime,
        "Electronic registration of patent and trademark pledges.",
        [
            api.public,
            pledges_api.router,
            pledge_book_api.router,
            gazette_api.router,
            bulk_api.router,
            api.internal,
            examiner_api.router,
            office_api.router,
            calendar_router(*OFFICE, tag="register (registry office)"),
        ],
        deps=deps,
        timers=timers,
        calendar_book=book,
    )
    install_audit(app, audit_log)
    return app
