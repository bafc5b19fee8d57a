"""Credit's unit of work on SQL: loans, quotas and reports on one transaction.

Before the commit, the quota movements of every loan seen are settled in the same transaction
as the loans themselves and their events.
"""

from __future__ import annotations

from typing import Self

from services.credit.adapters.orm import calendar_schedules
from services.credit.adapters.queries import ReportQueries
from services.credit.adapters.quotas import SqlQuotaRepository
from services.credit.adapters.reconciliation import SqlReconciliationStore
from services.credit.adapters.repository import SqlLoanRepository
from services.credit.adapters.terms import SqlLendingTermsStore
from services.credit.domain.loan import Loan
from shared.calendar_store import ScheduleStore
from shared.uow import SqlUnitOfWork


class SqlCreditUnitOfWork(SqlUnitOfWork):
    loans: SqlLoanRepository
    quotas: SqlQuotaRepository
    reports: ReportQueries
    calendar: ScheduleStore
    terms: SqlLendingTermsStore
    reconciliation: SqlReconciliationStore

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.loans = self.repository(SqlLoanRepository(self.session))
        self.quotas = SqlQuotaRepository(self.session)
        self.reports = ReportQueries(self.session)
        self.calendar = ScheduleStore(self.session, calendar_schedules)
        self.terms = SqlLendingTermsStore(self.session)
        self.reconciliation = self.repository(SqlReconciliationStore(self.session))
        return self

    async def before_commit(self) -> None:
        """Settle the quota movements of the loans seen."""
        for aggregate in self.seen():
            if isinstance(aggregate, Loan):
                for movement in aggregate.collect_quota_movements():
                    await self.quotas.settle(aggregate.bank_id, movement)
