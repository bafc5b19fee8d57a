"""HTTP APIs of the registry: filings for banks, the register for the registry office."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from services.registry.entrypoints.deps import (
    OFFICE,
    BankDep,
    CalendarDep,
    NowDep,
    UowDep,
    earlier_write,
    in_transaction,
    own_filing,
    unit_of_work,
)
from services.registry.entrypoints.schemas import (
    PatentIn,
    PledgeFilingIn,
    PledgeFilingOut,
    TrademarkIn,
)
from services.registry.service_layer import examination, handlers
from shared.auth import bank, staff
from shared.fields import PatentNumber, ResourceId, TrademarkNumber
from shared.http import Problem
from shared.idempotency import (
    REPLAYED_HEADER,
    IdempotencyKey,
)
from shared.openapi import problem_responses
from shared.workdays import beijing_date

public = APIRouter(
    prefix="/v1",
    tags=["pledge filings"],
    dependencies=[Depends(bank)],
    responses=problem_responses(401, 403, 422),
)
internal = APIRouter(
    prefix="/internal/v1",
    tags=["register (registry office)"],
    dependencies=[Depends(staff(*OFFICE))],
    responses=problem_responses(401, 403, 422),
)


def _same_right(in_path: str, in_body: str) -> None:
    if in_path != in_body:
        raise Problem(422, "right.number_mismatch", "Path and body name different rights", in_path)


@public.post(
    "/pledge-filings",
    status_code=201,
    response_model=PledgeFilingOut,
    responses=problem_responses(400, 409),
)
async def file_pledge(
    body: PledgeFilingIn,
    request: Request,
    response: Response,
    calendar: CalendarDep,
    now: NowDep,
    caller: BankDep,
    idempotency_key: IdempotencyKey = None,
) -> PledgeFilingOut:
    """File a pledge registration; a clean filing is registered at once.

    With an `Idempotency-Key`, a retry returns the filing the first request created.
    """
    if not caller.uscc or body.pledgee.uscc != caller.uscc:
        raise Problem(403, "filing.pledgee_not_caller", "A bank files pledges as the pledgee only")
    command = handlers.FilePledge(
        data=body.to_domain(beijing_date(now)),
        channel="api",
        filing_reference=None,
        received_at=now,
    )
    claim, earlier = await earlier_write(
        request, caller.subject, idempotency_key, body.model_dump(mode="json")
    )
    if earlier is not None:
        async with unit_of_work(request) as uow:
            filing = own_filing(caller, await handlers.get_filing(earlier, uow))
        response.headers[REPLAYED_HEADER] = "true"
        return PledgeFilingOut.of(filing)
    filing = await in_transaction(
        request, lambda uow: handlers.file_pledge(command, calendar, uow), idempotency=claim
    )
    return PledgeFilingOut.of(filing)


@public.get(
    "/pledge-filings/{filing_id}", response_model=PledgeFilingOut, responses=problem_responses(404)
)
async def get_filing(filing_id: ResourceId, uow: UowDep, caller: BankDep) -> PledgeFilingOut:
    """Read a filing with its status, findings, decisions and registration number."""
    async with uow:
        return PledgeFilingOut.of(own_filing(caller, await handlers.get_filing(filing_id, uow)))


@public.post(
    "/pledge-filings/{filing_id}/correction",
    response_model=PledgeFilingOut,
    responses=problem_responses(400, 404, 409),
)
async def correct_filing(
    filing_id: ResourceId,
    body: PledgeFilingIn,
    request: Request,
    response: Response,
    calendar: CalendarDep,
    now: NowDep,
    caller: BankDep,
    idempotency_key: IdempotencyKey = None,
) -> PledgeFilingOut:
    """Send the correction an examiner asked for; the deadline restarts from its arrival."""
    async with unit_of_work(request) as uow:
        current = own_filing(caller, await handlers.get_filing(filing_id, uow))
    claim, earlier = await earlier_write(
        request, caller.subject, idempotency_key, body.model_dump(mode="json")
    )
    if earlier is not None:
        response.headers[REPLAYED_HEADER] = "true"
        return PledgeFilingOut.of(current)
    command = examination.CorrectFiling(filing_id, body.to_domain(beijing_date(now)), now)
    filing = await in_transaction(
        request, lambda uow: examination.correct_filing(command, calendar, uow), idempotency=claim
    )
    return PledgeFilingOut.of(filing)


@internal.put(
    "/patents/{number:right_number}",
    status_code=200,
    response_model=PatentIn,
    responses=problem_responses(404),
)
async def put_patent(number: PatentNumber, body: PatentIn, uow: UowDep, now: NowDep) -> PatentIn:
    """Enter or update a patent on the register; a self-contradictory entry is refused."""
    _same_right(number, body.number)
    async with uow:
        await handlers.enter_patent(body.to_domain(), beijing_date(now), uow)
        await uow.commit()
    return body


@internal.put(
    "/trademarks/{number:right_number}",
    status_code=200,
    response_model=TrademarkIn,
    responses=problem_responses(404),
)
async def put_trademark(number: TrademarkNumber, body: TrademarkIn, uow: UowDep) -> TrademarkIn:
    """Enter or update a trademark on the register; a self-contradictory entry is refused."""
    _same_right(number, body.number)
    async with uow:
        await handlers.enter_trademark(body.to_domain(), uow)
        await uow.commit()
    return body
