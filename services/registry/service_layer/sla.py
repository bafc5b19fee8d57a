"""The statutory deadline watch: filings left undecided past their deadline are announced."""

from __future__ import annotations

from datetime import datetime

from services.registry.service_layer.handlers import get_filing
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork


async def overdue_filings(now: datetime, limit: int, uow: RegistryUnitOfWork) -> list[str]:
    """Filings past their deadline, still undecided, whose breach is not yet announced."""
    return await uow.filings.overdue_unflagged(now, limit)


async def flag_breach(filing_id: str, now: datetime, uow: RegistryUnitOfWork) -> bool:
    """Mark one filing as breached and announce it; False if it no longer needs it."""
    filing = await get_filing(filing_id, uow)
    if not filing.flag_sla_breach(now):
        return False
    await uow.filings.save(filing)
    uow.track(filing)
    return True
