"""Request and response bodies of the credit desk's internal API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from services.credit.adapters.quotas import QuotaState
from services.credit.domain.loan import Loan
from services.credit.domain.statistics import LendingStatistics

OfficerReason = Annotated[str, Field(min_length=1, max_length=200)]


class ReferralDecisionIn(BaseModel):
    outcome: Literal["approve", "decline"]
    amount: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)] | None = Field(
        default=None, description="Approved amount; defaults to the policy ceiling"
    )
    reasons: list[OfficerReason] = Field(min_length=1, max_length=20)
    officer_id: str | None = Field(
        default=None,
        max_length=64,
        description="Must name the officer of the credential when given",
    )


class ReferralOut(BaseModel):
    loan_id: str
    bank_id: str
    enterprise_uscc: str
    enterprise_name: str
    requested_amount: Decimal
    term_months: int
    programme: str | None
    reasons: list[str]
    policy_version: str | None
    policy_ceiling: Decimal | None
    appraised_value: Decimal | None
    decision_inputs: dict[str, Any]
    referred_at: datetime | None

    @classmethod
    def of(cls, loan: Loan) -> ReferralOut:
        """What an officer needs to decide."""
        return cls(
            loan_id=loan.loan_id,
            bank_id=loan.bank_id,
            enterprise_uscc=loan.enterprise.uscc,
            enterprise_name=loan.enterprise.name,
            requested_amount=loan.requested_amount,
            term_months=loan.term_months,
            programme=loan.programme,
            reasons=list(loan.decision_reasons),
            policy_version=loan.policy_version,
            policy_ceiling=loan.policy_ceiling,
            appraised_value=loan.appraised_value,
            decision_inputs=loan.decision_inputs,
            referred_at=loan.decided_at,
        )


class StatisticsOut(BaseModel):
    period_from: datetime | None
    period_to: datetime | None
    bank_id: str | None
    loans_disbursed: int
    amount_disbursed: Decimal
    enterprises: int
    inclusive_loans: int
    inclusive_amount: Decimal
    inclusive_share_by_count: Decimal | None
    inclusive_share_by_amount: Decimal | None
    average_seconds_to_disbursement: float | None
    decline_reasons: dict[str, int]

    @classmethod
    def of(
        cls,
        stats: LendingStatistics,
        start: datetime | None,
        end: datetime | None,
        bank_id: str | None,
    ) -> StatisticsOut:
        """The statistics of a period."""
        return cls(period_from=start, period_to=end, bank_id=bank_id, **vars(stats))


class QuotaOut(BaseModel):
    bank_id: str
    total: Decimal
    reserved: Decimal
    consumed: Decimal
    available: Decimal

    @classmethod
    def of(cls, state: QuotaState) -> QuotaOut:
        """One bank's quota."""
        return cls(
            bank_id=state.bank_id,
            total=state.total,
            reserved=state.reserved,
            consumed=state.consumed,
            available=state.available,
        )
