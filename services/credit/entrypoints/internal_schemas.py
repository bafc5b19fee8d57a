"""Request and response bodies of the credit desk's internal API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.credit.domain.loan import Loan
from services.credit.domain.records import QuotaState
from services.credit.domain.statistics import LendingStatistics
from shared.fields import Line, Message, RequestModel
from shared.money import Money, MoneyOut

OfficerReason = Annotated[Message, Field(max_length=200)]


class ReferralDecisionIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcome": "approve",
                    "amount": "1800000.00",
                    "reasons": ["stable licence income confirmed by the bank's visit"],
                }
            ]
        }
    )

    outcome: Literal["approve", "decline"] = Field(description="approve (make an offer) or decline")
    amount: Money | None = Field(
        default=None, description="Approved amount; defaults to the policy ceiling"
    )
    reasons: list[OfficerReason] = Field(
        min_length=1,
        max_length=20,
        description="The officer's reasons for the decision, at least one",
    )
    officer_id: Line | None = Field(
        default=None,
        max_length=64,
        description="Must name the officer of the credential when given",
    )


class ReferralOut(BaseModel):
    loan_id: str = Field(description="Identifier of the referred loan")
    bank_id: str = Field(description="The lending bank")
    enterprise_uscc: str = Field(
        description="Unified Social Credit Code (GB 32100-2015) of the borrower (the pledgor)"
    )
    enterprise_name: str = Field(description="Registered name of the borrower")
    requested_amount: MoneyOut = Field(description="Amount applied for, yuan to the fen")
    term_months: int = Field(description="Loan term in months")
    programme: str | None = Field(description="Risk-sharing programme the loan joins")
    reasons: list[str] = Field(description="Codes of the reasons the application was referred")
    policy_version: str | None = Field(description="Version of the credit policy applied")
    policy_ceiling: MoneyOut | None = Field(
        description="Highest amount the credit policy allows against the collateral, yuan"
    )
    appraised_value: MoneyOut | None = Field(
        description="Central value of the collateral from the valuation, yuan"
    )
    decision_inputs: dict[str, Any] = Field(
        description="The figures the automatic decision was computed from"
    )
    referred_at: datetime | None = Field(description="When the application was referred")

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
    period_from: datetime | None = Field(
        description="Start of the period (UTC), included; empty for no lower bound"
    )
    period_to: datetime | None = Field(
        description="End of the period (UTC), excluded; empty for no upper bound"
    )
    bank_id: str | None = Field(
        description="The bank the figures are limited to; empty for all banks"
    )
    loans_disbursed: int = Field(description="Loans disbursed in the period")
    amount_disbursed: MoneyOut = Field(description="Amount disbursed in the period, yuan")
    enterprises: int = Field(description="Distinct enterprises that received a loan")
    inclusive_loans: int = Field(description="Disbursed loans that count as inclusive lending")
    inclusive_amount: MoneyOut = Field(description="Amount of those inclusive loans, yuan")
    inclusive_share_by_count: Decimal | None = Field(
        description="Share of disbursed loans that are inclusive, 0 to 1"
    )
    inclusive_share_by_amount: Decimal | None = Field(
        description="Share of the amount disbursed that is inclusive, 0 to 1"
    )
    average_seconds_to_disbursement: float | None = Field(
        description="Average time from application to disbursement, in seconds"
    )
    decline_reasons: dict[str, int] = Field(
        description="Number of declined applications by reason code"
    )

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
    bank_id: str = Field(description="The bank")
    total: MoneyOut = Field(description="The bank's IP-loan quota, yuan")
    reserved: MoneyOut = Field(description="Part reserved by open offers, yuan")
    consumed: MoneyOut = Field(description="Part consumed by disbursed loans, yuan")
    available: MoneyOut = Field(description="Part still available, yuan")

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
