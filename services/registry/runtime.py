"""The registry's background work beside its relay and consumers: the SLA watch and the
calendar refresh (woken by a schedule any replica stores, and on a timer), each handing
commands and queries to the message bus."""

from __future__ import annotations

import logging
from typing import Any

from services.registry.service_layer import calendar, sla
from services.registry.service_layer.deps import RegistryDeps
from shared.calendars import change_channel, follow_changes
from shared.messagebus import MessageBus, WriteConflict
from shared.notify import ChangeListener
from shared.periodic import every
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

SLA_BATCH = 200


class RegistryTimers:
    """What the registry runs on a timer."""

    def __init__(self, runtime: ServiceRuntime, deps: RegistryDeps) -> None:
        self._runtime = runtime
        self._deps = deps

    @property
    def _bus(self) -> MessageBus[Any]:
        return self._runtime.messages

    async def refresh_calendar(self) -> None:
        """Put in force the schedules stored (possibly by another replica) since the last look,
        count anew the open deadlines that relied on older ones, and warn of a missing year."""
        book = self._deps.book
        book.install_all(await self._bus.query(calendar.SchedulesInForce()))
        await self._bus.handle(calendar.RecountDeadlines(self._deps.clock.now()))
        book.warn_once_a_day(self._deps.clock.now())

    async def watch_deadlines(self) -> int:
        """Announce every filing newly past its deadline; returns how many were announced."""
        now = self._deps.clock.now()
        overdue: list[str] = await self._bus.query(sla.OverdueFilings(now, SLA_BATCH))
        announced = 0
        for filing_id in overdue:
            try:
                handled = await self._bus.handle(sla.FlagBreach(filing_id, now))
            except WriteConflict:
                log.info(
                    "filing kept changing while its breach was flagged", extra={"filing": filing_id}
                )
                continue
            announced += bool(handled.result)
        return announced

    def install(self, refresh_interval: float, sla_interval: float) -> None:
        """Register the timers and the calendar's warnings with the runtime (before it starts)."""
        self._runtime.add_startup("calendar-load", self.refresh_calendar)
        self._runtime.add_worker(
            "calendar-refresh",
            lambda: follow_changes(self._deps.book, refresh_interval, self.refresh_calendar),
        )
        self._runtime.add_worker(
            "calendar-changes",
            lambda: ChangeListener(
                self._runtime.engine, change_channel("registry"), self._deps.book.wake
            ).run(),
        )
        self._runtime.add_worker("sla-watch", lambda: every(sla_interval, self.watch_deadlines))
        self._runtime.add_warnings(lambda: self._deps.book.warnings(self._deps.clock.now()))
