"""The public register and gazette: entering pledges' registrations, changes, cancellations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.registry.domain.gazette import EntryType, RegisterEntry, entries_for
from services.registry.domain.pledge import PledgeFiling
from services.registry.service_layer.deps import RegistryDeps
from services.registry.service_layer.ports import RegistryUnitOfWork
from shared.kernel.messages import Query
from shared.workdays import beijing_date, end_of_beijing_day


@dataclass(frozen=True)
class GazetteQuery(Query):
    right: str | None = None
    party_uscc: str | None = None
    entered_from: date | None = None
    entered_to: date | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class GazettePage:
    total: int
    entries: list[RegisterEntry]


async def enter(
    filing: PledgeFiling, entry_type: EntryType, at: datetime, uow: RegistryUnitOfWork
) -> None:
    """Enter a pledge's registration, latest change or cancellation in the public register."""
    assert filing.decided_at is not None
    patents = await uow.register.patents(filing.data.patents)
    entries = entries_for(filing, entry_type, at, beijing_date(filing.decided_at), patents)
    await uow.gazette.add(entries)


async def search(query: GazetteQuery, uow: RegistryUnitOfWork, deps: RegistryDeps) -> GazettePage:
    """Register entries by right, party and Beijing entry dates (inclusive), newest first."""
    first, last = query.entered_from, query.entered_to
    total, entries = await uow.gazette.search(
        right=query.right,
        party_uscc=query.party_uscc,
        since=end_of_beijing_day(first - timedelta(days=1)) if first else None,
        until=end_of_beijing_day(last) if last else None,
        limit=query.limit,
        offset=query.offset,
    )
    return GazettePage(total, entries)
