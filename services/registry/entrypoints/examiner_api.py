"""The examiner's desk (internal): the queue, claims and decisions on filings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.registry.entrypoints.deps import ExaminerDep, NowDep, examiner_id
from services.registry.entrypoints.examination_schemas import (
    AcknowledgementIn,
    CorrectionRequestIn,
    QueueItemOut,
    QueueOut,
    ReassignmentIn,
    RefusalIn,
)
from services.registry.entrypoints.schemas import PledgeFilingOut
from services.registry.service_layer import examination, handlers
from shared.auth import Principal, Role, staff
from shared.fields import ResourceId
from shared.http import Messages
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
async def queue(messages: Messages, now: NowDep, limit: Limit = 50, offset: Offset = 0) -> QueueOut:
    """Filings in examination, the earliest deadline first."""
    page = await messages.query(examination.ExaminationQueue(limit, offset))
    items = [QueueItemOut.of(filing, now) for filing in page.filings]
    return QueueOut(total=page.total, limit=limit, offset=offset, items=items)


@router.get(
    "/filings/{filing_id}", response_model=PledgeFilingOut, responses=problem_responses(404)
)
async def filing(filing_id: ResourceId, messages: Messages) -> PledgeFilingOut:
    """A filing with its terms, parties, rights, findings and every decision so far."""
    return PledgeFilingOut.of(await messages.query(handlers.GetFiling(filing_id)))


@router.post(
    "/filings/{filing_id}/claim", response_model=PledgeFilingOut, responses=DECISION_ERRORS
)
async def claim(
    filing_id: ResourceId, examiner: ExaminerDep, now: NowDep, messages: Messages
) -> PledgeFilingOut:
    """Take a filing in examination; another examiner's filing cannot be taken."""
    command = examination.ClaimFiling(filing_id, examiner, now)
    return PledgeFilingOut.of((await messages.handle(command)).result)


@router.post(
    "/filings/{filing_id}/release", response_model=PledgeFilingOut, responses=DECISION_ERRORS
)
async def release(
    filing_id: ResourceId,
    caller: Annotated[Principal, Depends(staff(Role.EXAMINER, Role.SUPERVISOR))],
    now: NowDep,
    messages: Messages,
) -> PledgeFilingOut:
    """Put a claimed filing back in the queue: its examiner may, and a supervisor may any."""
    supervising = caller.role is Role.SUPERVISOR
    command = examination.ReleaseFiling(filing_id, caller.subject, now, supervising)
    return PledgeFilingOut.of((await messages.handle(command)).result)


@router.post(
    "/filings/{filing_id}/reassign", response_model=PledgeFilingOut, responses=DECISION_ERRORS
)
async def reassign(
    filing_id: ResourceId,
    body: ReassignmentIn,
    caller: Annotated[Principal, Depends(staff(Role.SUPERVISOR))],
    now: NowDep,
    messages: Messages,
) -> PledgeFilingOut:
    """A supervisor gives a claimed filing to another examiner."""
    command = examination.ReassignFiling(filing_id, caller.subject, body.examiner, now)
    return PledgeFilingOut.of((await messages.handle(command)).result)


@router.post(
    "/filings/{filing_id}/register", response_model=PledgeFilingOut, responses=DECISION_ERRORS
)
async def register(
    filing_id: ResourceId, examiner: ExaminerDep, now: NowDep, messages: Messages
) -> PledgeFilingOut:
    """Register the pledge of a claimed filing whose rights are still free."""
    command = examination.RegisterFiling(filing_id, examiner, now)
    return PledgeFilingOut.of((await messages.handle(command)).result)


@router.post(
    "/filings/{filing_id}/refuse", response_model=PledgeFilingOut, responses=DECISION_ERRORS
)
async def refuse(
    filing_id: ResourceId, body: RefusalIn, examiner: ExaminerDep, now: NowDep, messages: Messages
) -> PledgeFilingOut:
    """Refuse a claimed filing with coded reasons."""
    reasons = tuple(reason.to_domain() for reason in body.reasons)
    command = examination.RefuseFiling(filing_id, examiner, reasons, now)
    return PledgeFilingOut.of((await messages.handle(command)).result)


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
    messages: Messages,
) -> PledgeFilingOut:
    """Ask the parties to correct named terms of a claimed filing; its deadline is suspended."""
    command = examination.RequestCorrection(
        filing_id, examiner, tuple(body.fields), body.message, now
    )
    return PledgeFilingOut.of((await messages.handle(command)).result)


@router.post(
    "/filings/{filing_id}/acknowledge",
    response_model=PledgeFilingOut,
    responses=DECISION_ERRORS,
)
async def acknowledge(
    filing_id: ResourceId,
    body: AcknowledgementIn,
    examiner: ExaminerDep,
    now: NowDep,
    messages: Messages,
) -> PledgeFilingOut:
    """Record that the parties confirmed they proceed despite warnings found on the filing."""
    command = examination.AcknowledgeWarnings(
        filing_id, examiner, tuple(body.codes), body.note, now
    )
    return PledgeFilingOut.of((await messages.handle(command)).result)
