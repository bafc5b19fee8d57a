"""The examiner's desk: the queue, claims and decisions, and corrections by the parties."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.registry.domain.decisions import Reason
from services.registry.domain.errors import RightAlreadyPledged
from services.registry.domain.filing import PledgeFilingData
from services.registry.domain.gazette import EntryType
from services.registry.domain.pledge import PledgeFiling
from services.registry.service_layer import gazette
from services.registry.service_layer.deadlines import registration_deadline
from services.registry.service_layer.deps import RegistryDeps
from services.registry.service_layer.handlers import (
    get_filing,
    get_pledgees_filing,
    statutory_checks,
)
from services.registry.service_layer.ports import RegistryUnitOfWork
from shared.kernel.messages import Command, Query
from shared.workdays import beijing_date


@dataclass(frozen=True)
class ClaimFiling(Command):
    filing_id: str
    examiner: str
    at: datetime


@dataclass(frozen=True)
class ReleaseFiling(Command):
    filing_id: str
    by: str
    at: datetime
    supervising: bool = False


@dataclass(frozen=True)
class ReassignFiling(Command):
    filing_id: str
    supervisor: str
    examiner: str
    at: datetime


@dataclass(frozen=True)
class RegisterFiling(Command):
    filing_id: str
    examiner: str
    at: datetime


@dataclass(frozen=True)
class RefuseFiling(Command):
    filing_id: str
    examiner: str
    reasons: tuple[Reason, ...]
    at: datetime


@dataclass(frozen=True)
class RequestCorrection(Command):
    filing_id: str
    examiner: str
    fields: tuple[str, ...]
    message: str
    at: datetime


@dataclass(frozen=True)
class AcknowledgeWarnings(Command):
    filing_id: str
    examiner: str
    codes: tuple[str, ...]
    note: str
    at: datetime


@dataclass(frozen=True)
class CorrectFiling(Command):
    filing_id: str
    pledgee_uscc: str | None
    data: PledgeFilingData
    at: datetime


@dataclass(frozen=True)
class ExaminationQueue(Query):
    limit: int
    offset: int


@dataclass(frozen=True)
class QueuePage:
    total: int
    filings: list[PledgeFiling]


async def examination_queue(
    query: ExaminationQueue, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> QueuePage:
    """Filings in examination, the earliest deadline first."""
    total, filings = await uow.filings.examination_queue(query.limit, query.offset)
    return QueuePage(total, filings)


async def claim_filing(
    command: ClaimFiling, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """An examiner takes a filing in examination."""
    filing = await get_filing(command.filing_id, uow)
    filing.claim(command.examiner, command.at)
    return await _saved(filing, uow)


async def release_filing(
    command: ReleaseFiling, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """The examiner holding a filing, or a supervisor, puts it back in the queue unclaimed."""
    filing = await get_filing(command.filing_id, uow)
    filing.release(command.by, command.at, supervising=command.supervising)
    return await _saved(filing, uow)


async def reassign_filing(
    command: ReassignFiling, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """A supervisor gives a claimed filing to another examiner."""
    filing = await get_filing(command.filing_id, uow)
    filing.reassign(command.supervisor, command.examiner, command.at)
    return await _saved(filing, uow)


async def register_filing(
    command: RegisterFiling, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """The claiming examiner registers the pledge, provided its rights are still free."""
    filing = await get_filing(command.filing_id, uow)
    filing.check_registrable_by(command.examiner)
    taken = await uow.filings.active_pledges(filing.data.rights)
    if taken:
        raise RightAlreadyPledged(_taken(taken))
    number = await uow.filings.next_registration_number(beijing_date(command.at))
    filing.register(number, command.at, command.examiner)
    if not await uow.filings.try_hold_rights(filing):
        raise RightAlreadyPledged(f"a right of filing {filing.filing_id} was pledged meanwhile")
    await gazette.enter(filing, EntryType.REGISTRATION, command.at, uow)
    return await _saved(filing, uow)


async def refuse_filing(
    command: RefuseFiling, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """The claiming examiner refuses the filing, giving coded reasons."""
    filing = await get_filing(command.filing_id, uow)
    filing.refuse(command.at, command.examiner, command.reasons)
    return await _saved(filing, uow)


async def request_correction(
    command: RequestCorrection, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """The claiming examiner asks the parties for a correction; the deadline is suspended."""
    filing = await get_filing(command.filing_id, uow)
    filing.request_correction(command.examiner, command.fields, command.message, command.at)
    return await _saved(filing, uow)


async def acknowledge_warnings(
    command: AcknowledgeWarnings, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """The claiming examiner records that the parties confirmed they proceed despite warnings."""
    filing = await get_filing(command.filing_id, uow)
    filing.acknowledge(command.examiner, command.codes, command.note, command.at)
    return await _saved(filing, uow)


async def correct_filing(
    command: CorrectFiling, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """The pledgee sends the correction asked for: checked again, the deadline counted anew.

    Whether the caller is the filing's pledgee is decided in the same transaction as the write.
    """
    filing = await get_pledgees_filing(command.filing_id, command.pledgee_uscc, uow)
    data = filing.corrected_data(command.data)
    result = await statutory_checks(data, beijing_date(command.at), uow)
    deadline = registration_deadline(command.at, bool(data.trademarks), deps.calendar)
    filing.correct(data, result, deadline, command.at)
    return await _saved(filing, uow)


async def _saved(filing: PledgeFiling, uow: RegistryUnitOfWork) -> PledgeFiling:
    await uow.filings.save(filing)
    return filing


def _taken(taken: dict[str, str]) -> str:
    return "; ".join(f"{right} is pledged under {number}" for right, number in taken.items())
