"""The official calendar as credit receives it from the registry, and the deadlines it moves.

Credit stores every schedule version the registry announces, in its own database, and counts
anew each pending registration deadline that relied on a replaced schedule (or on the
provisional statutory rule), each loan in its own transaction; a deadline that moves is
announced on the loan's topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.credit.domain.records import TimeoutKind
from services.credit.service_layer.deadlines import registration_due
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.ports import CreditUnitOfWork
from shared.calendars import StoredSchedule
from shared.kernel.messages import Command, Query
from shared.workdays import CountedDeadline, end_of_beijing_day


@dataclass(frozen=True)
class ReceiveSchedule(Command):
    """A year's schedule, as the registry announced it."""

    stored: StoredSchedule


@dataclass(frozen=True)
class RecountDeadline(Command):
    loan_id: str


@dataclass(frozen=True)
class StaleDeadlines(Query):
    """Loans whose pending registration deadline relied on a schedule now replaced."""


@dataclass(frozen=True)
class SchedulesInForce(Query):
    """The newest stored version of every year."""


async def receive_schedule(
    command: ReceiveSchedule, uow: CreditUnitOfWork, deps: CreditDeps
) -> bool:
    """Store a version the registry announced and put it in force; False if it or a newer one
    is stored already."""
    stored = command.stored
    current = await uow.calendar.latest(stored.year)
    if current is not None and current.version >= stored.version:
        return False
    await uow.calendar.add(stored)
    deps.book.install(stored)
    return True


async def schedules_in_force(
    query: SchedulesInForce, uow: CreditUnitOfWork, deps: CreditDeps
) -> list[StoredSchedule]:
    """The newest stored version of every year (put in force at start and by other replicas)."""
    return await uow.calendar.in_force()


async def stale_deadlines(
    query: StaleDeadlines, uow: CreditUnitOfWork, deps: CreditDeps
) -> list[str]:
    """Loans whose pending registration deadline relied on a schedule the calendar replaced."""
    official = deps.calendar.official_years()
    if not official:
        return []
    since = end_of_beijing_day(date(min(official) - 1, 12, 31))
    found = []
    for loan in await uow.loans.pending_deadlines_from(TimeoutKind.PLEDGE_REGISTRATION, since):
        timeout = loan.timeout(TimeoutKind.PLEDGE_REGISTRATION)
        assert timeout is not None
        counted = CountedDeadline(timeout.due_at, timeout.provisional, timeout.basis)
        if counted.stale_years(official):
            found.append(loan.loan_id)
    return found


async def recount_deadline(
    command: RecountDeadline, uow: CreditUnitOfWork, deps: CreditDeps
) -> bool:
    """Count one loan's registration deadline anew; True if it moved (and was announced)."""
    loan = await uow.loans.get(command.loan_id, for_update=True)
    bank = deps.banks.get(loan.bank_id) if loan is not None else None
    timeout = loan.timeout(TimeoutKind.PLEDGE_REGISTRATION) if loan is not None else None
    if loan is None or bank is None or timeout is None:
        return False
    calendar = deps.calendar
    official = calendar.official_years()
    counted = CountedDeadline(timeout.due_at, timeout.provisional, timeout.basis)
    stale = counted.stale_years(official)
    if not stale:
        return False

    def deadline(requested_at: datetime, working_days: int) -> CountedDeadline:
        return registration_due(requested_at, working_days, calendar)

    moved = loan.recount_registration_deadline(
        bank, deadline, stale[0], official.get(stale[0], 0), deps.clock.now()
    )
    await uow.loans.save(loan)
    return moved
