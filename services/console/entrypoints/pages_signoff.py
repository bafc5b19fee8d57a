"""Appraisers sign off provisional valuations; credit officers decide referrals."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.domain.staff import Page
from services.console.entrypoints.web import Form, Session, amount, go, messages, page, perform
from services.console.service_layer import commands as c
from shared.kernel.errors import DomainError

router = APIRouter()


@router.get("/appraisals")
async def appraisals(request: Request, session: Session) -> Response:
    """Provisional valuations waiting for sign-off, oldest first."""
    session.person.require(Page.APPRAISALS)
    pending = await messages(request).query(c.PendingValuations())
    return page(request, "appraisals.html", {"pending": pending}, current=Page.APPRAISALS)


@router.get("/appraisals/rows")
async def appraisal_rows(request: Request, session: Session) -> Response:
    """The waiting valuations' rows alone, for the page to refresh them."""
    session.person.require(Page.APPRAISALS)
    pending = await messages(request).query(c.PendingValuations())
    return page(request, "appraisal_rows.html", {"pending": pending})


@router.get("/appraisals/{valuation_id}")
async def valuation(request: Request, session: Session, valuation_id: str) -> Response:
    """A valuation's range and each driver's contribution, with the sign-off forms."""
    session.person.require(Page.APPRAISALS)
    view = await messages(request).query(c.ValuationPage(valuation_id))
    return page(request, "valuation.html", view, current=Page.APPRAISALS)


@router.post("/appraisals/{valuation_id}/approve")
async def approve(request: Request, session: Session, form: Form, valuation_id: str) -> Response:
    reason = str(form.get("reason") or "").strip() or None
    command = c.ApproveValuation(session.person, valuation_id, reason)
    return await perform(request, command, "Valuation approved.", "/appraisals")


@router.post("/appraisals/{valuation_id}/adjust")
async def adjust(request: Request, session: Session, form: Form, valuation_id: str) -> Response:
    back = f"/appraisals/{valuation_id}"
    try:
        low, central, high = (amount(str(form.get(k) or "")) for k in ("low", "central", "high"))
    except DomainError as problem:
        return await go(request, back, problem.detail, "problem")
    reason = str(form.get("reason") or "").strip()
    if low is None or central is None or high is None or not reason:
        return await go(request, back, "Give low, central and high values and a reason.", "problem")
    command = c.AdjustValuation(session.person, valuation_id, low, central, high, reason)
    return await perform(request, command, "Valuation adjusted.", "/appraisals")


@router.get("/referrals")
async def referrals(request: Request, session: Session) -> Response:
    """Loans the banks' policies referred to a credit officer, oldest first."""
    session.person.require(Page.REFERRALS)
    waiting = await messages(request).query(c.Referrals())
    return page(request, "referrals.html", {"referrals": waiting}, current=Page.REFERRALS)


@router.get("/referrals/{loan_id}")
async def referral(request: Request, session: Session, loan_id: str) -> Response:
    """A referral with the policy's findings and the decision form."""
    session.person.require(Page.REFERRALS)
    loan = await messages(request).query(c.ReferralPage(loan_id))
    return page(request, "referral.html", {"loan": loan}, current=Page.REFERRALS)


@router.post("/referrals/{loan_id}/decision")
async def decide(request: Request, session: Session, form: Form, loan_id: str) -> Response:
    back = f"/referrals/{loan_id}"
    outcome = str(form.get("outcome") or "")
    reason = str(form.get("reason") or "").strip()
    try:
        approved = amount(str(form.get("amount") or ""))
    except DomainError as problem:
        return await go(request, back, problem.detail, "problem")
    if outcome not in ("approve", "decline") or not reason:
        return await go(request, back, "Approve or decline, and give a reason.", "problem")
    command = c.DecideReferral(
        session.person, loan_id, outcome, reason, approved if outcome == "approve" else None
    )
    return await perform(request, command, f"Referral {outcome}d.", "/referrals")
