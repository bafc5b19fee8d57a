"""The registry's runtime: the shared one, plus the calendar load and the periodic jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.orm.exc import StaleDataError

from services.registry.adapters.orm import metadata
from services.registry.domain.events import CALENDAR_TOPIC, PLEDGES_TOPIC, RIGHTS_TOPIC
from services.registry.service_layer import calendar as calendars
from services.registry.service_layer import sla
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from services.registry.settings import RegistrySettings
from shared.bus.base import EventBus
from shared.calendars import CalendarBook
from shared.runtime import ConsumerSpec, ServiceRuntime

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

SLA_BATCH = 200


async def every(
    interval: float, action: Callable[[], Awaitable[object]], first_delay: float = 0.0
) -> None:
    """Run `action` every `interval` seconds until cancelled; a failed run is logged, not fatal."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            await action()
        except Exception:
            log.exception("periodic job failed; trying again next time")
        await asyncio.sleep(interval)


class RegistryRuntime(ServiceRuntime):
    """Adds to the shared runtime what the registry runs beside its relay and consumers."""

    def __init__(
        self,
        settings: RegistrySettings,
        book: CalendarBook,
        clock: Clock,
        consumers: Sequence[ConsumerSpec],
        bus: EventBus | None = None,
    ) -> None:
        super().__init__(
            "registry",
            settings,
            metadata,
            RegistryUnitOfWork,
            consumers=consumers,
            produces=(RIGHTS_TOPIC, PLEDGES_TOPIC, CALENDAR_TOPIC),
            bus=bus,
        )
        self.book = book
        self.clock = clock
        refresh = settings.calendar_refresh_interval
        self.add_worker(
            "calendar-refresh", lambda: every(refresh, self.refresh_calendar, first_delay=refresh)
        )
        self.add_worker(
            "sla-watch", lambda: every(settings.sla_check_interval, self.watch_deadlines)
        )

    def registry_uow(self) -> RegistryUnitOfWork:
        """A fresh unit of work on the registry's database."""
        uow = self.unit_of_work()
        assert isinstance(uow, RegistryUnitOfWork)
        return uow

    async def start(self) -> None:
        """Start the shared parts and the periodic jobs, and load the stored calendar years."""
        await super().start()
        try:
            await self.refresh_calendar()
        except Exception:
            log.exception("stored calendar years not loaded at start; the refresh job retries")

    async def refresh_calendar(self) -> None:
        """Put in force the schedules stored (possibly by another replica) since the last look,
        count anew the open deadlines that relied on older ones, and warn of a missing year."""
        async with self.registry_uow() as uow:
            self.book.install_all(await uow.calendar.in_force())
        await self.recount_deadlines()
        self.book.warn_once_a_day(self.clock())

    async def recount_deadlines(self) -> list[str]:
        """Count anew the open deadlines whose schedule was replaced; returns those moved."""
        async with self.registry_uow() as uow:
            moved = await calendars.recount_deadlines(self.book.calendar, self.clock(), uow)
            await uow.commit()
        return moved

    def warnings(self) -> dict[str, str]:
        """Working-day schedules missing for this year or, from the warning day, next year."""
        return self.book.warnings(self.clock())

    async def watch_deadlines(self) -> int:
        """Announce every filing newly past its deadline; returns how many were announced."""
        now = self.clock()
        async with self.registry_uow() as uow:
            overdue = await sla.overdue_filings(now, SLA_BATCH, uow)
        announced = 0
        for filing_id in overdue:
            try:
                async with self.registry_uow() as uow:
                    if await sla.flag_breach(filing_id, now, uow):
                        await uow.commit()
                        announced += 1
            except StaleDataError:
                log.info("filing changed while flagging its breach", extra={"filing": filing_id})
        return announced
