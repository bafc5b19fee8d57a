"""Internal API for appraisers: provisional valuations waiting for sign-off, approve, adjust."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.valuation.domain import SignOffRefused, ValueRange
from services.valuation.entrypoints.api import valuation_not_found
from services.valuation.entrypoints.deps import CurrentAppraiser, UowDep
from services.valuation.entrypoints.schemas import (
    AdjustIn,
    ApproveIn,
    PendingOut,
    SignOffOut,
    ValuationOut,
)
from services.valuation.service_layer import appraisals
from services.valuation.service_layer.handlers import ValuationNotFound
from services.valuation.service_layer.records import SignOffRecord
from shared.fields import ResourceId
from shared.http import Problem
from shared.openapi import problem_responses

router = APIRouter(
    prefix="/internal/v1/appraisals",
    tags=["appraisals"],
    responses=problem_responses(401, 403, 422),
)

REFUSAL_STATUS = {"valuation.not_provisional": 409, "valuation.already_signed_off": 409}


@router.get("/pending", response_model=PendingOut)
async def list_pending(
    appraiser: CurrentAppraiser,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[ResourceId | None, Query(max_length=36)] = None,
) -> PendingOut:
    """List provisional valuations waiting for sign-off, oldest first."""
    async with uow:
        try:
            page = await appraisals.pending_signoffs(limit, after, uow)
        except ValuationNotFound as exc:
            raise Problem(422, "cursor.unknown", "Unknown cursor", f"no valuation {after}") from exc
    return PendingOut.of(page)


@router.get("/{valuation_id}", response_model=ValuationOut, responses=problem_responses(404))
async def get_appraisal(
    valuation_id: ResourceId, appraiser: CurrentAppraiser, uow: UowDep
) -> ValuationOut:
    """Show any valuation with its sign-off."""
    async with uow:
        try:
            record = await appraisals.get_appraisal(valuation_id, uow)
        except ValuationNotFound as exc:
            raise valuation_not_found(valuation_id) from exc
    return ValuationOut.of(record)


@router.post(
    "/{valuation_id}/approve", response_model=SignOffOut, responses=problem_responses(404, 409)
)
async def approve(
    valuation_id: ResourceId,
    appraiser: CurrentAppraiser,
    uow: UowDep,
    body: ApproveIn | None = None,
) -> SignOffOut:
    """Approve a provisional valuation as it stands."""
    reason = body.reason if body else None
    command = appraisals.SignOff(valuation_id=valuation_id, appraiser_id=appraiser, reason=reason)
    return SignOffOut.of(await _sign_off(command, uow))


@router.post(
    "/{valuation_id}/adjust", response_model=SignOffOut, responses=problem_responses(404, 409)
)
async def adjust(
    valuation_id: ResourceId, body: AdjustIn, appraiser: CurrentAppraiser, uow: UowDep
) -> SignOffOut:
    """Replace a provisional valuation's range with the appraiser's, giving a reason."""
    command = appraisals.SignOff(
        valuation_id=valuation_id,
        appraiser_id=appraiser,
        reason=body.reason,
        adjusted=_range(body),
    )
    return SignOffOut.of(await _sign_off(command, uow))


def _range(body: AdjustIn) -> ValueRange:
    try:
        return ValueRange(body.low, body.central, body.high)
    except SignOffRefused as exc:
        raise Problem(422, exc.code, "Invalid range", exc.detail) from exc


async def _sign_off(command: appraisals.SignOff, uow: UowDep) -> SignOffRecord:
    async with uow:
        try:
            return await appraisals.sign_off(command, uow)
        except ValuationNotFound as exc:
            raise valuation_not_found(command.valuation_id) from exc
        except SignOffRefused as exc:
            status = REFUSAL_STATUS.get(exc.code, 422)
            raise Problem(status, exc.code, "Sign-off refused", exc.detail) from exc
