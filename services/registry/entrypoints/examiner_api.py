"""The examiner's desk (internal): the queue, claims and decisions on filings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.registry.entrypoints.deps import (
    ExaminerDep,
    NowDep,
    UowDep,
    examiner_id,
    in_transaction,
)
from services.registry.entrypoints.examination_schemas import (
    CorrectionRequestIn,
    QueueItemOut,
    QueueOut,
    RefusalIn,
)
from services.registry.entrypoints.schemas import PledgeFilingOut
from services.registry.service_layer import examination
from shared.fields import ResourceId
from shared.openapi import problem_responses

router = APIRouter(
    prefix="/internal/v1/examination",
    tags=["examination (registry office)"],
    dependencies=[Depends(examiner_id)],
    responses=problem_responses(401, 403, 422),
)

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0)]
DECISION_ERRORS = problem_responses(404, 409)


@router.get("/queue", response_model=QueueOut)
async def queue(uow: UowDep, now: NowDep, limit: Limit = 50, offset: Offset = 0) -> QueueOut:
    """Filings in examination, the earliest deadline first."""
    async with uow:
        page = await examination.examination_queue(limit, offset, uow)
    items = [QueueItemOut.of(filing, now) for filing in page.filings]
    return QueueOut(total=page.total, limit=limit, offset=offset, items=items)


@router.post(
    "/filings/{filing_id}/claim", response_model=PledgeFilingOut, responses=DECISION_ERRORS
)
async def claim(
    filing_id: ResourceId, examiner: ExaminerDep, now: NowDep, request: Request
) -> PledgeFilingOut:
    """Take a filing in examination; another examiner's filing cannot be taken."""
    command = examination.ClaimFiling(filing_id, examiner, now)
    filing = await in_transaction(request, lambda uow: examination.claim_filing(command, uow))
    return PledgeFilingOut.of(filing)


@router.post(
    "/filings/{filing_id}/register", response_model=PledgeFilingOut, responses=DECISION_ERRORS
)
async def register(
    filing_id: ResourceId, examiner: ExaminerDep, now: NowDep, request: Request
) -> PledgeFilingOut:
    """Register the pledge of a claimed filing whose rights are still free."""
    command = examination.RegisterFiling(filing_id, examiner, now)
    filing = await in_transaction(request, lambda uow: examination.register_filing(command, uow))
    return PledgeFilingOut.of(filing)


@router.post(
    "/filings/{filing_id}/refuse", response_model=PledgeFilingOut, responses=DECISION_ERRORS
)
async def refuse(
    filing_id: ResourceId, body: RefusalIn, examiner: ExaminerDep, now: NowDep, request: Request
) -> PledgeFilingOut:
    """Refuse a claimed filing with coded reasons."""
    reasons = tuple(reason.to_domain() for reason in body.reasons)
    command = examination.RefuseFiling(filing_id, examiner, reasons, now)
    filing = await in_transaction(request, lambda uow: examination.refuse_filing(command, uow))
    return PledgeFilingOut.of(filing)


@router.post(
    "/filings/{filing_id}/request-correction",
    response_model=PledgeFilingOut,
    responses=DECISION_ERRORS,
)
async def request_correction(
    filing_id: ResourceId,
    body: CorrectionRequestIn,
    examiner: ExaminerDep,
    now: NowDep,
    request: Request,
) -> PledgeFilingOut:
    """Ask the parties to correct a claimed filing; its deadline is suspended meanwhile."""
    command = examination.RequestCorrection(filing_id, examiner, body.message, now)
    filing = await in_transaction(request, lambda uow: examination.request_correction(command, uow))
    return PledgeFilingOut.of(filing)
