"""Read-only queries for reports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit.adapters.mapping import FEN, utc
from services.credit.adapters.orm import loans
from services.credit.domain.loan import LoanStatus
from services.credit.domain.statistics import DisbursedLoan


class ReportQueries:
    """Read-only queries behind the credit desk's reports."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def disbursed_between(
        self, start: datetime | None, end: datetime | None, bank_id: str | None
    ) -> list[DisbursedLoan]:
        """Loans disbursed in [start, end), whatever happened to them since."""
        return await disbursed_between(self.session, start, end, bank_id)

    async def decline_reasons_between(
        self, start: datetime | None, end: datetime | None, bank_id: str | None
    ) -> list[list[str]]:
        """The reasons of each loan declined in [start, end)."""
        return await decline_reasons_between(self.session, start, end, bank_id)


async def disbursed_between(
    session: AsyncSession, start: datetime | None, end: datetime | None, bank_id: str | None
) -> list[DisbursedLoan]:
    """Loans disbursed in [start, end), whatever happened to them since."""
    query = select(
        loans.c.enterprise_uscc,
        loans.c.approved_amount,
        loans.c.inclusive,
        loans.c.submitted_at,
        loans.c.disbursed_at,
    ).where(loans.c.disbursed_at.is_not(None))
    if start is not None:
        query = query.where(loans.c.disbursed_at >= start)
    if end is not None:
        query = query.where(loans.c.disbursed_at < end)
    if bank_id is not None:
        query = query.where(loans.c.bank_id == bank_id)
    return [
        DisbursedLoan(
            enterprise_uscc=row.enterprise_uscc,
            amount=Decimal(row.approved_amount).quantize(FEN),
            inclusive=bool(row.inclusive),
            submitted_at=_instant(row.submitted_at),
            disbursed_at=_instant(row.disbursed_at),
        )
        for row in (await session.execute(query)).all()
    ]


def _instant(value: datetime) -> datetime:
    instant = utc(value)
    assert instant is not None
    return instant


async def decline_reasons_between(
    session: AsyncSession, start: datetime | None, end: datetime | None, bank_id: str | None
) -> list[list[str]]:
    """The reasons of each loan declined in [start, end)."""
    query = select(loans.c.decision_reasons).where(loans.c.status == LoanStatus.DECLINED.value)
    if start is not None:
        query = query.where(loans.c.decided_at >= start)
    if end is not None:
        query = query.where(loans.c.decided_at < end)
    if bank_id is not None:
        query = query.where(loans.c.bank_id == bank_id)
    return [list(row.decision_reasons) for row in (await session.execute(query)).all()]
