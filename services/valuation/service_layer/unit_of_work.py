"""Valuation's unit of work: read model, valuations, pledges and impairments on one transaction."""

from __future__ import annotations

from typing import Self

from services.valuation.adapters.repository import (
    ImpairmentRepository,
    PledgeRepository,
    RightRepository,
    ValuationRepository,
)
from shared.uow import UnitOfWork


class ValuationUnitOfWork(UnitOfWork):
    rights: RightRepository
    valuations: ValuationRepository
    pledges: PledgeRepository
    impairments: ImpairmentRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.rights = RightRepository(self.session)
        self.valuations = ValuationRepository(self.session)
        self.pledges = PledgeRepository(self.session)
        self.impairments = ImpairmentRepository(self.session)
        return self
