"""Internal API for appraisers: provisional valuations waiting for sign-off, approve, adjust."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.valuation.domain import ValueRange
from services.valuation.domain.records import SignOffRecord
from services.valuation.entrypoints.deps import CurrentAppraiser
from services.valuation.entrypoints.schemas import (
    AdjustIn,
    ApproveIn,
    PendingOut,
    SignOffOut,
    ValuationOut,
)
from services.valuation.service_layer import commands as c
from shared.fields import ResourceId
from shared.http import Messages
from shared.openapi import problem_responses

router = APIRouter(
    prefix="/internal/v1/appraisals",
    tags=["appraisals"],
    responses=problem_responses(401, 403, 422),
)


@router.get("/pending", response_model=PendingOut)
async def list_pending(
    appraiser: CurrentAppraiser,
    messages: Messages,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[ResourceId | None, Query(max_length=36)] = None,
) -> PendingOut:
    """List provisional valuations waiting for sign-off, oldest first."""
    return PendingOut.of(await messages.query(c.PendingSignOffs(limit, after)))


@router.get("/{valuation_id}", response_model=ValuationOut, responses=problem_responses(404))
async def get_appraisal(
    valuation_id: ResourceId, appraiser: CurrentAppraiser, messages: Messages
) -> ValuationOut:
    """Show any valuation with its sign-off."""
    return ValuationOut.of(await messages.query(c.GetAppraisal(valuation_id)))


@router.post(
    "/{valuation_id}/approve", response_model=SignOffOut, responses=problem_responses(404, 409)
)
async def approve(
    valuation_id: ResourceId,
    appraiser: CurrentAppraiser,
    messages: Messages,
    body: ApproveIn | None = None,
) -> SignOffOut:
    """Approve a provisional valuation as it stands."""
    reason = body.reason if body else None
    command = c.SignOff(valuation_id=valuation_id, appraiser_id=appraiser, reason=reason)
    return SignOffOut.of(await _sign_off(messages, command))


@router.post(
    "/{valuation_id}/adjust", response_model=SignOffOut, responses=problem_responses(404, 409)
)
async def adjust(
    valuation_id: ResourceId, body: AdjustIn, appraiser: CurrentAppraiser, messages: Messages
) -> SignOffOut:
    """Replace a provisional valuation's range with the appraiser's, giving a reason."""
    command = c.SignOff(
        valuation_id=valuation_id,
        appraiser_id=appraiser,
        reason=body.reason,
        adjusted=ValueRange(body.low, body.central, body.high),
    )
    return SignOffOut.of(await _sign_off(messages, command))


async def _sign_off(messages: Messages, command: c.SignOff) -> SignOffRecord:
    signoff = (await messages.handle(command)).result
    assert isinstance(signoff, SignOffRecord)
    return signoff
