"""The timer that keeps credit's calendar in force and its deadlines counted on it.

Woken at once when a schedule is stored by any replica (the consumer's commit notifies every
replica) and every `calendar_refresh_interval` seconds in any case, it puts the newest stored
version of each year in force, which also covers a restart; counts anew each pending deadline
that relied on a replaced schedule, and again shortly after a change for loans whose
transaction was under way on the old calendar; and logs a missing year once a day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from services.credit.service_layer import calendar as calendars
from services.credit.service_layer.deps import CreditDeps
from shared.calendars import follow_changes
from shared.messagebus import MessageBus, WriteConflict

log = logging.getLogger(__name__)


class CalendarKeeper:
    """Puts stored schedules in force and recounts the deadlines they move."""

    def __init__(
        self, messages: Callable[[], MessageBus[Any]], deps: CreditDeps, interval: float
    ) -> None:
        self._bus = messages
        self._deps = deps
        self._interval = interval
        self.moved = 0

    async def run(self) -> None:
        """Catch up on every change or interval, until cancelled."""
        await follow_changes(self._deps.book, self._interval, self.catch_up)

    async def catch_up(self) -> list[str]:
        """Put stored schedules in force, recount stale deadlines; returns the loans moved."""
        self._deps.book.install_all(await self._bus().query(calendars.SchedulesInForce()))
        moved = await self.recount()
        self._deps.book.warn_once_a_day(self._deps.clock.now())
        return moved

    async def recount(self) -> list[str]:
        """Count anew every pending deadline that relied on a replaced schedule."""
        stale: list[str] = await self._bus().query(calendars.StaleDeadlines())
        moved = []
        for loan_id in stale:
            try:
                handled = await self._bus().handle(calendars.RecountDeadline(loan_id))
            except WriteConflict:
                log.info("loan kept changing during the recount", extra={"loan_id": loan_id})
                continue
            if handled.result:
                moved.append(loan_id)
        self.moved += len(moved)
        return moved
