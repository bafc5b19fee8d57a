"""Reports for the credit desk: lending statistics and quota use."""

from __future__ import annotations

from services.credit.domain.records import QuotaState
from services.credit.domain.statistics import LendingStatistics, lending_statistics
from services.credit.service_layer.commands import LendingStatisticsOf, QuotaPositions
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.ports import CreditUnitOfWork


async def statistics(
    query: LendingStatisticsOf, uow: CreditUnitOfWork, deps: CreditDeps
) -> LendingStatistics:
    """Loans disbursed and declined in [start, end)."""
    disbursed = await uow.reports.disbursed_between(query.start, query.end, query.bank_id)
    declined = await uow.reports.decline_reasons_between(query.start, query.end, query.bank_id)
    return lending_statistics(disbursed, declined)


async def quotas(
    query: QuotaPositions, uow: CreditUnitOfWork, deps: CreditDeps
) -> list[QuotaState]:
    """Each bank's IP-loan quota: total, reserved by offers, consumed by disbursements."""
    return await uow.quotas.all()
