"""The background task that keeps credit's calendar in force and its deadlines counted on it.

Woken at once when a schedule arrives from the registry (and every `calendar_refresh_interval`
seconds in any case), it puts the newest stored version of each year in force, which also
covers schedules stored by another replica and a restart; counts anew each pending deadline
that relied on a replaced schedule; and logs a missing year once a day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.credit.service_layer import calendar as calendars
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from shared.calendars import CalendarBook

log = logging.getLogger(__name__)


class CalendarKeeper:
    """Puts stored schedules in force and recounts the deadlines they move."""

    def __init__(
        self,
        unit_of_work: Callable[[], CreditUnitOfWork],
        book: CalendarBook,
        deps: CreditDeps,
        interval: float,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._book = book
        self._deps = deps
        self._interval = interval
        self.moved = 0

    async def run(self) -> None:
        """Catch up, then again on every change or interval, until cancelled."""
        while True:
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("calendar catch-up failed; trying again")
            await self._book.wait_for_change(self._interval)

    async def catch_up(self) -> list[str]:
        """Put stored schedules in force, recount stale deadlines; returns the loans moved."""
        async with self._unit_of_work() as uow:
            self._book.install_all(await uow.calendar.in_force())
        moved = await self.recount()
        self._book.warn_once_a_day(self._deps.clock.now())
        return moved

    async def recount(self) -> list[str]:
        """Count anew every pending deadline that relied on a replaced schedule."""
        calendar = self._book.calendar
        async with self._unit_of_work() as uow:
            stale = await calendars.loans_with_stale_deadlines(calendar, uow)
        moved = []
        for loan_id in stale:
            try:
                async with self._unit_of_work() as uow:
                    now = self._deps.clock.now()
                    if await calendars.recount_deadline(loan_id, calendar, self._deps, uow, now):
                        moved.append(loan_id)
            except (StaleDataError, IntegrityError):
                log.info("loan changed during the recount; next pass", extra={"loan_id": loan_id})
        self.moved += len(moved)
        return moved
