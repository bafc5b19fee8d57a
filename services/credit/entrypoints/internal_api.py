"""The credit desk's internal HTTP API: referrals, statistics and quotas."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.credit.entrypoints.internal_schemas import (
    QuotaOut,
    ReferralDecisionIn,
    ReferralOut,
    StatisticsOut,
)
from services.credit.entrypoints.schemas import LoanOut
from services.credit.service_layer import commands as c
from shared.auth import Principal, Role, staff
from shared.fields import DayOrInstant, Line, ResourceId
from shared.http import Messages, Problem
from shared.openapi import problem_responses
from shared.workdays import BEIJING

router = APIRouter(
    prefix="/internal/v1",
    tags=["credit desk"],
    dependencies=[Depends(staff(Role.CREDIT_OFFICER, Role.SUPERVISOR, Role.ADMINISTRATOR))],
    responses=problem_responses(401, 403, 422),
)


async def officer_id(
    caller: Annotated[Principal, Depends(staff(Role.CREDIT_OFFICER, Role.SUPERVISOR))],
) -> str:
    """The credit officer deciding, from their credential."""
    return caller.subject


OfficerId = Annotated[str, Depends(officer_id)]
BankIdQuery = Annotated[Line | None, Query(max_length=64, description="Only this bank's loans")]
PERIOD = (
    "A date (a Beijing calendar day; `from` and `to` days are both included) or an instant "
    "with a UTC offset (`to` excluded)"
)


@router.get("/referrals", response_model=list[ReferralOut])
async def list_referrals(
    x_officer_id: OfficerId,
    messages: Messages,
    bank_id: BankIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="Loans to skip")] = 0,
) -> list[ReferralOut]:
    """Loans waiting for a credit officer's decision, oldest first, a page at a time."""
    waiting = await messages.query(c.ListReferrals(bank_id, limit, offset))
    return [ReferralOut.of(loan) for loan in waiting]


@router.post(
    "/referrals/{loan_id}/decision", response_model=LoanOut, responses=problem_responses(404, 409)
)
async def decide_referral(
    loan_id: ResourceId, body: ReferralDecisionIn, x_officer_id: OfficerId, messages: Messages
) -> LoanOut:
    """Approve (an offer, within the policy ceiling and the bank's quota) or decline."""
    if body.officer_id is not None and body.officer_id != x_officer_id:
        raise Problem(422, "officer.mismatch", "officer_id differs from the credential")
    command = c.DecideReferral(
        loan_id, body.outcome, body.amount, tuple(body.reasons), x_officer_id
    )
    handled = await messages.handle(command)
    return LoanOut.of(handled.result)


@router.get("/statistics", response_model=StatisticsOut)
async def statistics(
    messages: Messages,
    period_from: Annotated[DayOrInstant | None, Query(alias="from", description=PERIOD)] = None,
    period_to: Annotated[DayOrInstant | None, Query(alias="to", description=PERIOD)] = None,
    bank_id: BankIdQuery = None,
) -> StatisticsOut:
    """Disbursed loans, enterprises, inclusive shares, speed and decline reasons of a period."""
    start, end = _instant(period_from, "from"), _instant(period_to, "to")
    if start is not None and end is not None and end < start:
        raise Problem(422, "period.invalid", "The period ends before it starts")
    stats = await messages.query(c.LendingStatisticsOf(start, end, bank_id))
    return StatisticsOut.of(stats, start, end, bank_id)


@router.get("/quotas", response_model=list[QuotaOut])
async def quotas(messages: Messages) -> list[QuotaOut]:
    """Each bank's IP-loan quota: total, reserved by open offers, consumed by disbursements."""
    return [QuotaOut.of(q) for q in await messages.query(c.QuotaPositions())]


def _instant(value: date | datetime | None, name: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value.astimezone(UTC) if value is not None else None
    day = value + timedelta(days=1 if name == "to" else 0)
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)
