"""The official calendar as credit receives it from the registry, and the deadlines it moves.

Credit stores every schedule version the registry announces, in its own database, and counts
anew each pending registration deadline that relied on a replaced schedule (or on the
provisional statutory rule), each loan in its own transaction; a deadline that moves is
announced on the loan's topic.
"""

from __future__ import annotations

from datetime import date, datetime

from services.credit.domain.records import TimeoutKind
from services.credit.service_layer.deadlines import registration_due
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.handlers import case_of
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from shared.calendars import StoredSchedule
from shared.workdays import CountedDeadline, OfficialCalendar, end_of_beijing_day


async def receive_schedule(stored: StoredSchedule, uow: CreditUnitOfWork) -> bool:
    """Store a version the registry announced; False if it or a newer one is stored already."""
    current = await uow.calendar.latest(stored.year)
    if current is not None and current.version >= stored.version:
        return False
    await uow.calendar.add(stored)
    return True


async def loans_with_stale_deadlines(
    calendar: OfficialCalendar, uow: CreditUnitOfWork
) -> list[str]:
    """Loans whose pending registration deadline relied on a schedule `calendar` replaced."""
    official = calendar.official_years()
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
    loan_id: str,
    calendar: OfficialCalendar,
    deps: CreditDeps,
    uow: CreditUnitOfWork,
    now: datetime,
) -> bool:
    """Count one loan's registration deadline anew and commit; True if it moved."""
    loan = await uow.loans.get(loan_id, for_update=True)
    bank = deps.banks.get(loan.bank_id) if loan is not None else None
    timeout = loan.timeout(TimeoutKind.PLEDGE_REGISTRATION) if loan is not None else None
    if loan is None or bank is None or timeout is None:
        return False
    official = calendar.official_years()
    counted = CountedDeadline(timeout.due_at, timeout.provisional, timeout.basis)
    stale = counted.stale_years(official)
    if not stale:
        return False

    def deadline(requested_at: datetime, working_days: int) -> CountedDeadline:
        return registration_due(requested_at, working_days, calendar)

    with case_of(loan):
        moved = loan.recount_registration_deadline(
            bank, deadline, stale[0], official.get(stale[0], 0), now
        )
        await uow.loans.save(loan)
        uow.track(loan)
        await uow.commit()
    return moved
