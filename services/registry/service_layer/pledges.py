"""Registered pledges: reading, change filings, cancellation filings and releases by credit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.registry.domain.amendments import CancellationReason, PledgeChange
from services.registry.domain.checks import check_change
from services.registry.domain.errors import ReleaseMismatch
from services.registry.domain.gazette import EntryType
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from services.registry.service_layer import gazette
from services.registry.service_layer.deps import RegistryDeps
from services.registry.service_layer.errors import PledgeNotFound
from services.registry.service_layer.ports import RegistryUnitOfWork
from shared.kernel.messages import Command, Query
from shared.workdays import beijing_date


@dataclass(frozen=True)
class ChangePledge(Command):
    registration_number: str
    change: PledgeChange
    at: datetime
    caller_uscc: str | None = None


@dataclass(frozen=True)
class CancelPledge(Command):
    registration_number: str
    reason: CancellationReason
    at: datetime
    caller_uscc: str | None = None


@dataclass(frozen=True)
class GetPledge(Query):
    registration_number: str
    caller_uscc: str | None = None


@dataclass(frozen=True)
class ReleasePledge(Command):
    loan_id: str
    registration_number: str
    reason: CancellationReason
    at: datetime


async def get_pledge(
    registration_number: str, uow: RegistryUnitOfWork, caller_uscc: str | None = None
) -> PledgeFiling:
    """The filing that registered a pledge, with the pledge's current terms.

    For a bank (`caller_uscc`), only a pledge it holds; another's looks like a missing one.
    """
    filing = await uow.filings.by_registration_number(registration_number)
    if filing is None or (caller_uscc is not None and filing.data.pledgee.uscc != caller_uscc):
        raise PledgeNotFound(registration_number)
    return filing


async def read_pledge(
    query: GetPledge, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """A registered pledge with its current terms and every change or cancellation."""
    return await get_pledge(query.registration_number, uow, query.caller_uscc)


@dataclass(frozen=True)
class PledgesOfPledgee(Query):
    pledgee_uscc: str
    after: str = ""
    limit: int = 200
    active_only: bool = False


async def pledges_of_pledgee(
    query: PledgesOfPledgee, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> list[PledgeFiling]:
    """A page of the pledges registered to a pledgee (active, or also cancelled), by number."""
    return await uow.filings.pledges_to(
        query.pledgee_uscc, query.after, query.limit, query.active_only
    )


async def change_pledge(
    command: ChangePledge, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> PledgeFiling:
    """Change a pledge's amount, deadline or parties once the new terms pass the checks."""
    filing = await get_pledge(command.registration_number, uow, command.caller_uscc)
    data, changed = command.change.apply_to(filing.data)
    result = check_change(
        data,
        changed,
        await uow.register.patents(data.patents),
        await uow.register.trademarks(data.trademarks),
        beijing_date(command.at),
    )
    filing.change(command.change, result, command.at)
    await uow.filings.save(filing)
    await gazette.enter(filing, EntryType.CHANGE, command.at, uow)
    return filing


async def cancel_pledge(
    command: CancelPledge, uow: RegistryUnitOfWork, deps: RegistryDeps | None = None
) -> PledgeFiling:
    """Cancel a pledge's registration and free its rights."""
    filing = await get_pledge(command.registration_number, uow, command.caller_uscc)
    filing.cancel(command.reason, command.at)
    await uow.filings.save(filing)
    await uow.filings.release_rights(filing)
    await gazette.enter(filing, EntryType.CANCELLATION, command.at, uow)
    return filing


async def release_pledge(
    command: ReleasePledge, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> None:
    """Credit reports the secured debt settled: cancel the pledge, unless that is done."""
    filing = await get_pledge(command.registration_number, uow)
    if filing.filing_reference not in (None, command.loan_id):
        raise ReleaseMismatch(
            f"{command.registration_number} secures {filing.filing_reference}, "
            f"not {command.loan_id}"
        )
    if filing.status is FilingStatus.CANCELLED:
        return
    await cancel_pledge(CancelPledge(command.registration_number, command.reason, command.at), uow)
