"""Registered pledges for banks: the current terms, change and cancellation filings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from services.registry.entrypoints.deps import (
    BankDep,
    NowDep,
    earlier_write,
    in_transaction,
    unit_of_work,
)
from services.registry.entrypoints.pledge_schemas import CancellationIn, PledgeChangeIn, PledgeOut
from services.registry.service_layer import pledges
from shared.auth import Principal, bank
from shared.fields import ResourceId
from shared.http import Problem
from shared.idempotency import REPLAYED_HEADER, IdempotencyKey
from shared.openapi import problem_responses

router = APIRouter(
    prefix="/v1/pledges",
    tags=["pledges"],
    dependencies=[Depends(bank)],
    responses=problem_responses(401, 403, 404, 422),
)


async def _own_pledge(request: Request, registration_number: str, caller: Principal) -> None:
    async with unit_of_work(request) as uow:
        filing = await pledges.get_pledge(registration_number, uow)
    if not caller.uscc or filing.data.pledgee.uscc != caller.uscc:
        raise Problem(404, "pledge.not_found", "Pledge not found", registration_number)


@router.get("/{registration_number}", response_model=PledgeOut)
async def get_pledge(
    registration_number: ResourceId, request: Request, caller: BankDep
) -> PledgeOut:
    """A registered pledge with its current terms and every change or cancellation."""
    await _own_pledge(request, registration_number, caller)
    async with unit_of_work(request) as uow:
        return PledgeOut.of(await pledges.get_pledge(registration_number, uow))


@router.post(
    "/{registration_number}/changes",
    response_model=PledgeOut,
    responses=problem_responses(400, 409),
)
async def change_pledge(
    registration_number: ResourceId,
    body: PledgeChangeIn,
    request: Request,
    response: Response,
    now: NowDep,
    caller: BankDep,
    idempotency_key: IdempotencyKey = None,
) -> PledgeOut:
    """Register a change of the secured amount, the performance deadline or a party."""
    await _own_pledge(request, registration_number, caller)
    claim, earlier = await earlier_write(
        request, caller.subject, idempotency_key, body.model_dump(mode="json")
    )
    if earlier is not None:
        return await _replay(request, response, registration_number)
    command = pledges.ChangePledge(registration_number, body.to_domain(), now)
    filing = await in_transaction(
        request, lambda uow: pledges.change_pledge(command, uow), idempotency=claim
    )
    return PledgeOut.of(filing)


@router.post(
    "/{registration_number}/cancellation",
    response_model=PledgeOut,
    responses=problem_responses(400, 409),
)
async def cancel_pledge(
    registration_number: ResourceId,
    body: CancellationIn,
    request: Request,
    response: Response,
    now: NowDep,
    caller: BankDep,
    idempotency_key: IdempotencyKey = None,
) -> PledgeOut:
    """Register the cancellation of a pledge; its rights are free again at once."""
    await _own_pledge(request, registration_number, caller)
    claim, earlier = await earlier_write(
        request, caller.subject, idempotency_key, body.model_dump(mode="json")
    )
    if earlier is not None:
        return await _replay(request, response, registration_number)
    command = pledges.CancelPledge(registration_number, body.to_domain(), now)
    filing = await in_transaction(
        request, lambda uow: pledges.cancel_pledge(command, uow), idempotency=claim
    )
    return PledgeOut.of(filing)


async def _replay(request: Request, response: Response, registration_number: str) -> PledgeOut:
    response.headers[REPLAYED_HEADER] = "true"
    async with unit_of_work(request) as uow:
        return PledgeOut.of(await pledges.get_pledge(registration_number, uow))
