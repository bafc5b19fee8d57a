"""Registry handlers: keep the register, receive filings, register clean ones at once.

Each runs in the unit of work the message bus opened for it and never commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from services.registry.domain.checks import CheckResult, check_filing
from services.registry.domain.entries import patent_problems, trademark_problems
from services.registry.domain.errors import EntryContradictory
from services.registry.domain.filing import PledgeFilingData
from services.registry.domain.gazette import EntryType
from services.registry.domain.pledge import PledgeFiling
from services.registry.domain.register import Patent, Trademark
from services.registry.service_layer import gazette
from services.registry.service_layer.deadlines import registration_deadline
from services.registry.service_layer.deps import RegistryDeps
from services.registry.service_layer.errors import FilingNotFound
from services.registry.service_layer.ports import RegistryUnitOfWork
from shared.context import current_context
from shared.kernel.errors import Forbidden
from shared.kernel.messages import Command, Query
from shared.workdays import beijing_date


class PledgeeNotCaller(Forbidden):
    code = "filing.pledgee_not_caller"
    title = "A bank files pledges as the pledgee only"


@dataclass(frozen=True)
class RecordRights(Command):
    """Enter or update rights on the register (one, or a bulk load's accepted rows).

    `on` is the registry office's Beijing date: an entry dated after it contradicts itself.
    """

    rights: tuple[Patent | Trademark, ...]
    on: date


@dataclass(frozen=True)
class FilePledge(Command):
    data: PledgeFilingData
    channel: str
    filing_reference: str | None
    received_at: datetime
    caller_uscc: str | None = None


@dataclass(frozen=True)
class GetFiling(Query):
    filing_id: str
    caller_uscc: str | None = None


async def record_rights(command: RecordRights, uow: RegistryUnitOfWork, deps: RegistryDeps) -> None:
    """Enter or update each right on the register and announce its new version; an entry that
    contradicts itself is refused with each contradiction's code."""
    for right in command.rights:
        problems = (
            patent_problems(right, command.on)
            if isinstance(right, Patent)
            else trademark_problems(right)
        )
        if problems:
            raise EntryContradictory(
                "; ".join(p.message for p in problems), [p.as_error() for p in problems]
            )
        kind = "patent" if isinstance(right, Patent) else "trademark"
        entry = await uow.register.entry(right.number, kind)
        entry.enter(right)
        await uow.register.save_entry(entry)


async def file_pledge(
    command: FilePledge, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """Receive a filing, check every ground, and register a clean one at once.

    A filing credit sends again for the same loan is the same filing: it is answered with the
    one already received instead of being filed twice. The filing keeps the correlation id it
    arrived under (the loan's case, for credit's filings): every later action on it, by
    anyone, carries that id.
    """
    if command.caller_uscc is not None and command.data.pledgee.uscc != command.caller_uscc:
        raise PledgeeNotCaller("a bank files pledges as the pledgee only")
    if command.filing_reference is not None:
        earlier = await uow.filings.by_reference(command.channel, command.filing_reference)
        if earlier is not None:
            return earlier
    now = command.received_at
    data = command.data
    filing = PledgeFiling.receive(
        filing_id=str(uuid.uuid4()),
        filing_reference=command.filing_reference,
        channel=command.channel,
        data=data,
        received_at=now,
        deadline=registration_deadline(now, bool(data.trademarks), deps.calendar),
        correlation_id=current_context().correlation_id,
    )
    filing.assess(await statutory_checks(data, beijing_date(now), uow), now)
    if filing.green_channel:
        filing.register(await uow.filings.next_registration_number(beijing_date(now)), now)
        await uow.filings.save(filing)
        await uow.filings.hold_rights(filing)
        await gazette.enter(filing, EntryType.REGISTRATION, now, uow)
    else:
        await uow.filings.save(filing)
    return filing


async def statutory_checks(
    data: PledgeFilingData, on: date, uow: RegistryUnitOfWork
) -> CheckResult:
    """Every statutory ground applied to `data` against the register as it stands."""
    patents = await uow.register.patents(data.patents)
    return check_filing(
        data,
        patents,
        await uow.register.trademarks(data.trademarks),
        await uow.filings.active_pledges(data.rights),
        await uow.register.marks_of(data.pledgor.uscc) if data.trademarks else [],
        on,
        twins=await uow.register.same_day_twins(patents) if patents else {},
    )


async def get_filing(filing_id: str, uow: RegistryUnitOfWork) -> PledgeFiling:
    """One filing."""
    filing = await uow.filings.get(filing_id)
    if filing is None:
        raise FilingNotFound(filing_id)
    return filing


async def filing_of(
    filing_id: str, caller_uscc: str | None, uow: RegistryUnitOfWork
) -> PledgeFiling:
    """One filing; for a bank (`caller_uscc`), only a filing it is the pledgee of."""
    filing = await get_filing(filing_id, uow)
    if caller_uscc is not None and filing.data.pledgee.uscc != caller_uscc:
        raise FilingNotFound(filing_id)
    return filing


async def read_filing(
    query: GetFiling, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """One filing, as the bank or the registry office may see it."""
    return await filing_of(query.filing_id, query.caller_uscc, uow)


async def get_pledgees_filing(
    filing_id: str, pledgee_uscc: str | None, uow: RegistryUnitOfWork
) -> PledgeFiling:
    """One filing of this pledgee; another pledgee's filing looks exactly like a missing one."""
    filing = await uow.filings.get(filing_id)
    if filing is None or not pledgee_uscc or filing.data.pledgee.uscc != pledgee_uscc:
        raise FilingNotFound(filing_id)
    return filing
