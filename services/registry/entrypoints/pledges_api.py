"""Registered pledges for banks: the current terms, change and cancellation filings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.registry.entrypoints.deps import BankDep, BankUscc, NowDep
from services.registry.entrypoints.pledge_schemas import CancellationIn, PledgeChangeIn, PledgeOut
from services.registry.service_layer import pledges
from shared.auth import bank
from shared.fields import ResourceId
from shared.http import Messages
from shared.idempotency import IdempotencyKey, handle_keyed
from shared.openapi import problem_responses

router = APIRouter(
    prefix="/v1/pledges",
    tags=["pledges"],
    dependencies=[Depends(bank)],
    responses=problem_responses(401, 403, 404, 422),
)


@router.get("/{registration_number}", response_model=PledgeOut)
async def get_pledge(
    registration_number: ResourceId, messages: Messages, uscc: BankUscc
) -> PledgeOut:
    """A registered pledge with its current terms and every change or cancellation."""
    return PledgeOut.of(await messages.query(pledges.GetPledge(registration_number, uscc)))


@router.post(
    "/{registration_number}/changes",
    response_model=PledgeOut,
    responses=problem_responses(400, 409),
)
async def change_pledge(
    registration_number: ResourceId,
    body: PledgeChangeIn,
    response: Response,
    messages: Messages,
    now: NowDep,
    caller: BankDep,
    uscc: BankUscc,
    idempotency_key: IdempotencyKey = None,
) -> PledgeOut:
    """Register a change of the secured amount, the performance deadline or a party."""
    command = pledges.ChangePledge(registration_number, body.to_domain(), now, uscc)
    request = {
        "path": f"/v1/pledges/{registration_number}/changes",
        "body": body.model_dump(mode="json"),
    }
    return PledgeOut.of(
        await handle_keyed(
            messages, command, response, caller=caller.subject, key=idempotency_key, request=request
        )
    )


@router.post(
    "/{registration_number}/cancellation",
    response_model=PledgeOut,
    responses=problem_responses(400, 409),
)
async def cancel_pledge(
    registration_number: ResourceId,
    body: CancellationIn,
    response: Response,
    messages: Messages,
    now: NowDep,
    caller: BankDep,
    uscc: BankUscc,
    idempotency_key: IdempotencyKey = None,
) -> PledgeOut:
    """Register the cancellation of a pledge; its rights are free again at once."""
    command = pledges.CancelPledge(registration_number, body.to_domain(), now, uscc)
    request = {
        "path": f"/v1/pledges/{registration_number}/cancellation",
        "body": body.model_dump(mode="json"),
    }
    return PledgeOut.of(
        await handle_keyed(
            messages, command, response, caller=caller.subject, key=idempotency_key, request=request
        )
    )
