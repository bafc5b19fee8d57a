"""Valuation's unit of work on SQL: the register read model, valuations and followed collateral
on one transaction."""

from __future__ import annotations

from typing import Self

from services.valuation.adapters.repository import (
    SqlCollateralRepository,
    SqlRightRepository,
    SqlValuationRepository,
)
from shared.uow import SqlUnitOfWork


class SqlValuationUnitOfWork(SqlUnitOfWork):
    rights: SqlRightRepository
    valuations: SqlValuationRepository
    collaterals: SqlCollateralRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.rights = SqlRightRepository(self.session)
        self.valuations = self.repository(SqlValuationRepository(self.session))
        self.collaterals = self.repository(SqlCollateralRepository(self.session))
        return self
