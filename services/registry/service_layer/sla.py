"""The statutory deadline watch: filings left undecided past their deadline are announced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.registry.service_layer.deps import RegistryDeps
from services.registry.service_layer.handlers import get_filing
from services.registry.service_layer.ports import RegistryUnitOfWork
from shared.kernel.messages import Command, Query


@dataclass(frozen=True)
class OverdueFilings(Query):
    """Filings past their deadline, undecided, whose breach is not yet announced."""

    at: datetime
    limit: int


@dataclass(frozen=True)
class FlagBreach(Command):
    filing_id: str
    at: datetime


async def overdue_filings(
    query: OverdueFilings, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> list[str]:
    """Filings past their deadline, still undecided, whose breach is not yet announced."""
    return await uow.filings.overdue_unflagged(query.at, query.limit)


async def flag_breach(command: FlagBreach, uow: RegistryUnitOfWork, deps: RegistryDeps) -> bool:
    """Mark one filing as breached and announce it; False if it no longer needs it."""
    filing = await get_filing(command.filing_id, uow)
    if not filing.flag_sla_breach(command.at):
        return False
    await uow.filings.save(filing)
    return True
