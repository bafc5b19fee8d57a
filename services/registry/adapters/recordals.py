"""Transfers and licences recorded against patents."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters.orm import recordals
from services.registry.domain.recordal import Recordal


class RecordalRepository:
    """Recordals, kept as the register's history of transfers and licences."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, recordal: Recordal) -> None:
        """Store a new recordal."""
        await self.session.execute(
            recordals.insert().values(
                recordal_id=recordal.recordal_id,
                kind=recordal.kind.value,
                right_number=recordal.right_number,
                parties=[{"name": p.name, "uscc": p.uscc} for p in recordal.parties],
                licence_type=recordal.licence_type,
                pledgee_consent=recordal.pledgee_consent,
                pledge_registration_number=recordal.pledge_registration_number,
                recorded_at=recordal.recorded_at,
            )
        )
