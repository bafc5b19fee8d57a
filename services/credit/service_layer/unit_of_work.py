"""Credit's unit of work: the loan repository on the shared transaction."""

from __future__ import annotations

from typing import Self

from services.credit.adapters.repository import LoanRepository
from shared.uow import UnitOfWork


class CreditUnitOfWork(UnitOfWork):
    loans: LoanRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.loans = LoanRepository(self.session)
        return self
