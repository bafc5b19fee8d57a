"""Registered pledges for banks: the current terms, change and cancellation filings."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.registry.entrypoints.deps import NowDep, UowDep, in_transaction
from services.registry.entrypoints.pledge_schemas import CancellationIn, PledgeChangeIn, PledgeOut
from services.registry.service_layer import pledges

router = APIRouter(prefix="/v1/pledges", tags=["pledges"])


@router.get("/{registration_number}", response_model=PledgeOut)
async def get_pledge(registration_number: str, uow: UowDep) -> PledgeOut:
    """A registered pledge with its current terms and every change or cancellation."""
    async with uow:
        return PledgeOut.of(await pledges.get_pledge(registration_number, uow))


@router.post("/{registration_number}/changes", response_model=PledgeOut)
async def change_pledge(
    registration_number: str, body: PledgeChangeIn, request: Request, now: NowDep
) -> PledgeOut:
    """Register a change of the secured amount, the performance deadline or a party."""
    command = pledges.ChangePledge(registration_number, body.to_domain(), now)
    filing = await in_transaction(request, lambda uow: pledges.change_pledge(command, uow))
    return PledgeOut.of(filing)


@router.post("/{registration_number}/cancellation", response_model=PledgeOut)
async def cancel_pledge(
    registration_number: str, body: CancellationIn, request: Request, now: NowDep
) -> PledgeOut:
    """Register the cancellation of a pledge; its rights are free again at once."""
    command = pledges.CancelPledge(registration_number, body.to_domain(), now)
    filing = await in_transaction(request, lambda uow: pledges.cancel_pledge(command, uow))
    return PledgeOut.of(filing)
