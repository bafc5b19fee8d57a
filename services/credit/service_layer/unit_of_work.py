"""Credit's unit of work: loans and quotas on the shared transaction.

At commit the quota changes of the tracked loans are written in the same transaction as the
loans themselves and their events.
"""

from __future__ import annotations

from typing import Self

from services.credit.adapters.orm import calendar_schedules
from services.credit.adapters.quotas import QuotaRepository
from services.credit.adapters.repository import LoanRepository
from services.credit.domain.loan import Loan
from shared.calendars import ScheduleStore
from shared.uow import UnitOfWork


class CreditUnitOfWork(UnitOfWork):
    loans: LoanRepository
    quotas: QuotaRepository
    calendar: ScheduleStore

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.loans = LoanRepository(self.session)
        self.quotas = QuotaRepository(self.session)
        self.calendar = ScheduleStore(self.session, calendar_schedules)
        return self

    async def commit(self) -> None:
        """Settle the tracked loans' quota movements, then commit with their events."""
        for aggregate in self._tracked:
            if isinstance(aggregate, Loan):
                for movement in aggregate.collect_quota_movements():
                    await self.quotas.settle(aggregate.bank_id, movement)
        await super().commit()
