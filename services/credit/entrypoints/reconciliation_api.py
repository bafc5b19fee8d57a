"""Reconciliation for operators: run it now, and read the last run with its mismatches."""

from __future__ import annotations

from datetime import datetime

import httpx
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.credit.domain.reconciliation import Mismatch, ReconciliationRun
from services.credit.service_layer.reconciliation import LatestReconciliation, Reconciler
from shared.auth import Role, staff
from shared.http import Messages, Problem
from shared.openapi import problem_responses

router = APIRouter(
    prefix="/internal/v1/reconciliation",
    tags=["reconciliation"],
    dependencies=[Depends(staff(Role.OPERATOR, Role.SUPERVISOR, Role.ADMINISTRATOR))],
    responses=problem_responses(401, 403, 422),
)


class MismatchOut(BaseModel):
    reason: str = Field(description="Stable reason code, e.g. pledge.cancelled")
    bank_id: str = Field(description="Bank concerned")
    loan_id: str | None = Field(description="Loan concerned, if any")
    registration_number: str | None = Field(description="Pledge concerned, if any")
    detail: str = Field(description="What differs, in words")

    @classmethod
    def of(cls, mismatch: Mismatch) -> MismatchOut:
        return cls(
            reason=mismatch.reason.value,
            bank_id=mismatch.bank_id,
            loan_id=mismatch.loan_id,
            registration_number=mismatch.registration_number,
            detail=mismatch.detail,
        )


class ReconciliationOut(BaseModel):
    run_id: str = Field(description="Identifier of the run")
    trigger: str = Field(description="schedule or operator")
    started_at: datetime = Field(description="When the run began (UTC)")
    finished_at: datetime = Field(description="When it compared the books (UTC)")
    loans_checked: int = Field(description="Loans compared")
    pledges_checked: int = Field(description="Pledges at the registry compared")
    mismatches: list[MismatchOut] = Field(description="Every mismatch found; empty when clean")

    @classmethod
    def of(cls, run: ReconciliationRun) -> ReconciliationOut:
        return cls(
            run_id=run.run_id,
            trigger=run.trigger,
            started_at=run.started_at,
            finished_at=run.finished_at,
            loans_checked=run.loans_checked,
            pledges_checked=run.pledges_checked,
            mismatches=[MismatchOut.of(m) for m in run.mismatches],
        )


@router.post("/runs", response_model=ReconciliationOut, responses=problem_responses(502))
async def run_reconciliation(request: Request) -> ReconciliationOut:
    """Reconcile loans, pledges at the registry and quotas now; every mismatch is announced on
    `pledgeflow.credit.reconciliation`."""
    reconciler: Reconciler = request.app.state.reconciler
    try:
        run = await reconciler.run("operator")
    except httpx.HTTPError as exc:
        raise Problem(
            502, "reconciliation.registry_unavailable", f"the registry did not answer: {exc!r}"
        ) from exc
    return ReconciliationOut.of(run)


@router.get("/runs/latest", response_model=ReconciliationOut, responses=problem_responses(404))
async def latest_reconciliation(messages: Messages) -> ReconciliationOut:
    """The last reconciliation run, scheduled or asked for, with its mismatches."""
    return ReconciliationOut.of(await messages.query(LatestReconciliation()))
