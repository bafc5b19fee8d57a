"""Reports for the credit desk: lending statistics and quota use."""

from __future__ import annotations

from datetime import datetime

from services.credit.adapters.queries import decline_reasons_between, disbursed_between
from services.credit.adapters.quotas import QuotaState
from services.credit.domain.statistics import LendingStatistics, lending_statistics
from services.credit.service_layer.unit_of_work import CreditUnitOfWork


async def statistics(
    start: datetime | None, end: datetime | None, bank_id: str | None, uow: CreditUnitOfWork
) -> LendingStatistics:
    """Loans disbursed and declined in [start, end)."""
    disbursed = await disbursed_between(uow.session, start, end, bank_id)
    declined = await decline_reasons_between(uow.session, start, end, bank_id)
    return lending_statistics(disbursed, declined)


async def quotas(uow: CreditUnitOfWork) -> list[QuotaState]:
    """Each bank's IP-loan quota: total, reserved by offers, consumed by disbursements."""
    return await uow.quotas.all()
