"""Registry use cases: keep the register, receive filings, register clean ones at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from services.registry.domain.checks import CheckResult, check_filing
from services.registry.domain.entries import patent_problems, trademark_problems
from services.registry.domain.errors import EntryContradictory
from services.registry.domain.events import HolderData, PatentRecorded, TrademarkRecorded
from services.registry.domain.filing import PledgeFilingData
from services.registry.domain.gazette import EntryType
from services.registry.domain.pledge import PledgeFiling
from services.registry.domain.register import Patent, Trademark
from services.registry.service_layer import gazette
from services.registry.service_layer.deadlines import registration_deadline
from services.registry.service_layer.errors import FilingNotFound
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.workdays import OfficialCalendar, beijing_date


@dataclass(frozen=True)
class FilePledge:
    data: PledgeFilingData
    channel: str
    filing_reference: str | None
    received_at: datetime


async def enter_patent(patent: Patent, today: date, uow: RegistryUnitOfWork) -> None:
    """Enter a patent the registry office sends, unless the entry contradicts itself."""
    problems = patent_problems(patent, today)
    if problems:
        raise EntryContradictory(
            "; ".join(p.message for p in problems), [p.as_error() for p in problems]
        )
    await record_patent(patent, uow)


async def enter_trademark(mark: Trademark, uow: RegistryUnitOfWork) -> None:
    """Enter a trademark the registry office sends, unless the entry contradicts itself."""
    problems = trademark_problems(mark)
    if problems:
        raise EntryContradictory(
            "; ".join(p.message for p in problems), [p.as_error() for p in problems]
        )
    await record_trademark(mark, uow)


async def record_patent(patent: Patent, uow: RegistryUnitOfWork) -> None:
    """Enter or update a patent on the register and announce it."""
    version = await uow.register.put_patent(patent)
    uow.emit(
        patent.number,
        version,
        PatentRecorded(
            number=patent.number,
            kind=patent.kind,
            title=patent.title,
            holders=tuple(HolderData(h.name, h.uscc) for h in patent.holders),
            filing_date=patent.filing_date,
            grant_date=patent.grant_date,
            term_end=patent.term_end,
            legal_status=patent.legal_status,
            fees_paid_through=patent.fees_paid_through,
            frozen=patent.frozen,
            invalidation_pending=patent.invalidation_pending,
            main_ipc=patent.main_ipc,
        ),
    )


async def record_trademark(mark: Trademark, uow: RegistryUnitOfWork) -> None:
    """Enter or update a trademark on the register and announce it."""
    version = await uow.register.put_trademark(mark)
    uow.emit(
        mark.number,
        version,
        TrademarkRecorded(
            number=mark.number,
            nice_class=mark.nice_class,
            goods=mark.goods,
            mark=mark.mark,
            owner=HolderData(mark.owner.name, mark.owner.uscc),
            valid_until=mark.valid_until,
            status=mark.status,
            frozen=mark.frozen,
        ),
    )


async def file_pledge(
    command: FilePledge, calendar: OfficialCalendar, uow: RegistryUnitOfWork
) -> PledgeFiling:
    """Receive a filing, check every ground, and register a clean one at once."""
    now = command.received_at
    data = command.data
    filing = PledgeFiling.receive(
        filing_id=str(uuid.uuid4()),
        filing_reference=command.filing_reference,
        channel=command.channel,
        data=data,
        received_at=now,
        deadline=registration_deadline(now, bool(data.trademarks), calendar),
    )
    filing.assess(await statutory_checks(data, beijing_date(now), uow), now)
    if filing.green_channel:
        filing.register(await uow.filings.next_registration_number(beijing_date(now)), now)
        await uow.filings.save(filing)
        await uow.filings.hold_rights(filing)
        await gazette.enter(filing, EntryType.REGISTRATION, now, uow)
    else:
        await uow.filings.save(filing)
    uow.track(filing)
    return filing


async def statutory_checks(
    data: PledgeFilingData, on: date, uow: RegistryUnitOfWork
) -> CheckResult:
    """Every statutory ground applied to `data` against the register as it stands."""
    return check_filing(
        data,
        await uow.register.patents(data.patents),
        await uow.register.trademarks(data.trademarks),
        await uow.filings.active_pledges(data.rights),
        await uow.register.marks_of(data.pledgor.uscc) if data.trademarks else [],
        on,
    )


async def get_filing(filing_id: str, uow: RegistryUnitOfWork) -> PledgeFiling:
    """One filing."""
    filing = await uow.filings.get(filing_id)
    if filing is None:
        raise FilingNotFound(filing_id)
    return filing
