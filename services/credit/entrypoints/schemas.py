"""Request and response bodies of the bank-facing credit API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.credit.domain.loan import Loan
from shared.fields import Instant, Line, Message, RequestModel, RightRef, Uscc
from shared.money import Money, MoneyOut, NonNegativeMoney, PositiveValuationFigure


class EnterpriseIn(RequestModel):
    uscc: Uscc
    name: Line = Field(
        max_length=200,
        description="Registered name of the borrowing enterprise (the pledgor)",
        examples=["Shanghai Lens Optics Co., Ltd."],
    )
    address: Line = Field(
        max_length=500,
        description="Registered address of the borrowing enterprise",
        examples=["1 Zhangjiang Road, Shanghai"],
    )
    size_class: Literal["micro", "small", "medium", "large"] = Field(
        description="Enterprise size class"
    )
    high_tech: bool = Field(default=False, description="Certified high-tech enterprise")


class LoanApplicationIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "enterprise": {
                        "uscc": "91310115MA1K3YJ675",
                        "name": "Shanghai Lens Optics Co., Ltd.",
                        "address": "1 Zhangjiang Road, Shanghai",
                        "size_class": "small",
                        "high_tech": True,
                    },
                    "requested_amount": "2000000.00",
                    "term_months": 12,
                    "purpose": "working capital",
                    "collateral": [{"right_type": "patent", "number": "CN201710601862.3"}],
                    "attributable_revenue": "8000000.00",
                    "industry": "optics",
                }
            ]
        }
    )

    enterprise: EnterpriseIn = Field(
        description="The borrowing enterprise, which pledges the rights"
    )
    requested_amount: Money = Field(description="Yuan, to the fen, as a decimal string")
    term_months: int = Field(ge=1, le=60, description="Loan term in months, 1 to 60")
    purpose: Message = Field(max_length=500, description="What the loan is for")
    collateral: list[RightRef] = Field(
        min_length=1,
        max_length=50,
        description="The patents and trademarks the enterprise pledges, each at most once",
    )
    attributable_revenue: PositiveValuationFigure = Field(
        description="Annual revenue attributable to the pledged rights' products, yuan "
        "(below ten trillion)"
    )
    industry: Line = Field(
        default="default",
        max_length=64,
        description="Industry whose valuation parameters apply; default when unknown",
    )
    programme: Line | None = Field(
        default=None,
        max_length=64,
        description="Risk-sharing programme the loan joins (see the bank's programmes)",
    )


class RepaymentIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"amount": "500000.00", "paid_at": "2027-03-20T10:00:00+08:00"}]
        }
    )

    amount: Money = Field(description="Principal repaid, yuan to the fen")
    paid_at: Instant = Field(description="When the borrower paid, with a UTC offset")


class DefaultIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"declared_at": "2027-09-01T09:00:00+08:00", "recovered_amount": "300000.00"}
            ]
        }
    )

    declared_at: Instant = Field(description="When the bank declared the default")
    recovered_amount: NonNegativeMoney = Field(
        default=Decimal("0.00"), description="Principal recovered (e.g. by enforcing the pledge)"
    )


class RefusalGroundOut(BaseModel):
    code: str = Field(description="Stable code of the ground, e.g. pledgor.not_patentee")
    message: str = Field(description="The registry's statement of the ground")
    right: str | None = Field(description="The pledged right the ground concerns, if one")


class TimeoutOut(BaseModel):
    kind: str = Field(description="offer_expiry or pledge_registration")
    due_at: datetime = Field(description="When the deadline falls (UTC)")
    fired_at: datetime | None = Field(description="When the deadline passed unmet and took effect")
    cancelled_at: datetime | None = Field(description="When the deadline was met and cancelled")
    provisional: bool = Field(
        default=False,
        description="Counted through a year without its official schedule: it does not fire "
        "until the schedule arrives and counts it anew",
    )


class RepaymentOut(BaseModel):
    repayment_id: str = Field(description="Identifier of the repayment")
    amount: MoneyOut = Field(description="Principal repaid, yuan to the fen")
    paid_at: datetime = Field(description="When the borrower paid")
    outstanding_after: MoneyOut = Field(
        description="Principal outstanding after this repayment, yuan"
    )


class ClaimOut(BaseModel):
    party: str = Field(
        description="Party bearing part of the loss, e.g. insurer, bank or guarantor"
    )
    share: Decimal = Field(description="The party's share of the loss, 0 to 1")
    amount: MoneyOut = Field(description="The party's part of the loss, yuan to the fen")


class LoanOut(BaseModel):
    loan_id: str = Field(description="Identifier of the loan")
    bank_id: str = Field(description="The lending bank (the pledgee)")
    correlation_id: str = Field(
        description="Identifies this case on every event of every service (operators' history)"
    )
    status: str = Field(
        description="Stage of the loan: awaiting_valuation, awaiting_signoff, referred, declined, "
        "offered, pledge_filed, disbursed, repaying, repaid, closed, defaulted or "
        "offer_withdrawn"
    )
    enterprise_uscc: str = Field(
        description="Unified Social Credit Code (GB 32100-2015) of the borrower (the pledgor)"
    )
    requested_amount: MoneyOut = Field(description="Amount applied for, yuan to the fen")
    term_months: int = Field(description="Loan term in months")
    collateral: list[dict[str, str]] = Field(
        description="The pledged rights, each as right_type and number in register form"
    )
    approved_amount: MoneyOut | None = Field(description="Amount offered, yuan to the fen")
    annual_rate: Decimal | None = Field(description="Annual interest rate offered, e.g. 0.0385")
    decision_reasons: list[str] = Field(
        description="Codes of the reasons for the decision (referral, decline)"
    )
    policy_version: str | None = Field(
        description="Version of the credit policy the decision applied"
    )
    appraised_value: MoneyOut | None = Field(
        description="Central value of the collateral from the valuation, yuan"
    )
    offer_expires_at: datetime | None = Field(description="When an unaccepted offer lapses")
    pledge_filing_id: str | None = Field(
        description="Identifier of the pledge filing at the registry, once it was received"
    )
    pledge_refusal_grounds: list[RefusalGroundOut] = Field(
        description="When the registry refused the pledge, each ground with its code and text"
    )
    pledge_registration_number: str | None = Field(
        description="Registration number of the pledge securing the loan"
    )
    maturity_date: date | None = Field(description="Date the principal is due")
    disbursed_at: datetime | None = Field(
        description="When the loan was disbursed, after the pledge was registered"
    )
    withdrawal_reason: str | None = Field(
        description="Why the offer was withdrawn, e.g. the pledge was not registered in time"
    )
    inclusive: bool = Field(
        description="Whether the loan counts as inclusive lending (an SME, under the limit)"
    )
    history: list[dict[str, str]] = Field(
        description="Each status the loan went through, with when (status, at)"
    )
    programme: str | None = Field(description="Risk-sharing programme the loan joined")
    decided_at: datetime | None = Field(description="When the loan was decided")
    decided_by: str | None = Field(
        description="Credit officer who decided a referral; empty for an automatic decision"
    )
    policy_ceiling: MoneyOut | None = Field(
        description="Highest amount the credit policy allows against the collateral, yuan"
    )
    decision_inputs: dict[str, Any] = Field(
        description="The figures the decision was computed from"
    )
    collateral_value: MoneyOut | None = Field(
        description="Value of the collateral the loan was decided on, yuan"
    )
    collateral_expires_on: date | None = Field(
        description="Earliest date a pledged right's protection ends"
    )
    insurance_premium: MoneyOut | None = Field(
        description="Premium due under the risk-sharing programme, yuan"
    )
    pledge_requested_at: datetime | None = Field(
        description="When the pledge filing was sent to the registry"
    )
    outstanding_principal: MoneyOut | None = Field(description="Principal not yet repaid, yuan")
    repayments: list[RepaymentOut] = Field(
        description="Principal repayments reported, oldest first"
    )
    repaid_at: datetime | None = Field(description="When the principal was fully repaid")
    pledge_released_at: datetime | None = Field(
        description="When the pledge's cancellation was registered"
    )
    stray_pledge_registration_number: str | None = Field(
        description="A pledge registered after the offer lapsed, whose cancellation was requested"
    )
    defaulted_at: datetime | None = Field(description="When the bank declared the default")
    recovered_amount: MoneyOut | None = Field(
        description="Principal recovered after the default, yuan"
    )
    loss: MoneyOut | None = Field(description="Principal lost after recoveries, yuan")
    claims: list[ClaimOut] = Field(
        description="How the loss is shared among the programme's parties"
    )
    deadlines: list[TimeoutOut] = Field(description="The loan's deadlines and what became of them")

    @classmethod
    def of(cls, loan: Loan) -> LoanOut:
        """The bank's view of a loan."""
        return cls(
            loan_id=loan.loan_id,
            correlation_id=loan.correlation_id,
            bank_id=loan.bank_id,
            status=loan.status.value,
            enterprise_uscc=loan.enterprise.uscc,
            requested_amount=loan.requested_amount,
            term_months=loan.term_months,
            collateral=[{"right_type": c.right_type, "number": c.number} for c in loan.collateral],
            approved_amount=loan.approved_amount,
            annual_rate=loan.annual_rate,
            decision_reasons=list(loan.decision_reasons),
            policy_version=loan.policy_version,
            appraised_value=loan.appraised_value,
            offer_expires_at=loan.offer_expires_at,
            pledge_filing_id=loan.pledge_filing_id,
            pledge_refusal_grounds=[
                RefusalGroundOut(code=g.code, message=g.message, right=g.right)
                for g in loan.pledge_refusal_grounds
            ],
            pledge_registration_number=loan.pledge_registration_number,
            maturity_date=loan.maturity_date,
            disbursed_at=loan.disbursed_at,
            withdrawal_reason=loan.withdrawal_reason,
            inclusive=loan.inclusive,
            history=[{"status": s, "at": at.isoformat()} for s, at in loan.history],
            programme=loan.programme,
            decided_at=loan.decided_at,
            decided_by=loan.decided_by,
            policy_ceiling=loan.policy_ceiling,
            decision_inputs=loan.decision_inputs,
            collateral_value=loan.collateral_value,
            collateral_expires_on=loan.collateral_expires_on,
            insurance_premium=loan.insurance_premium,
            **_servicing(loan),
        )


def _servicing(loan: Loan) -> dict[str, Any]:
    return {
        "pledge_requested_at": loan.pledge_requested_at,
        "outstanding_principal": loan.outstanding_principal,
        "repayments": [RepaymentOut(**vars(r)) for r in loan.repayments],
        "repaid_at": loan.repaid_at,
        "pledge_released_at": loan.pledge_released_at,
        "stray_pledge_registration_number": loan.stray_pledge_registration_number,
        "defaulted_at": loan.defaulted_at,
        "recovered_amount": loan.recovered_amount,
        "loss": loan.loss,
        "claims": [ClaimOut(party=c.party, share=c.share, amount=c.amount) for c in loan.claims],
        "deadlines": [
            TimeoutOut(
                kind=t.kind.value,
                due_at=t.due_at,
                fired_at=t.fired_at,
                cancelled_at=t.cancelled_at,
                provisional=t.provisional,
            )
            for t in loan.timeouts
        ],
    }


class LoanPageOut(BaseModel):
    """One page of a bank's loans."""

    total: int = Field(description="How many loans match, over all pages")
    limit: int = Field(description="Page size asked for")
    offset: int = Field(description="Loans skipped before this page")
    items: list[LoanOut] = Field(description="The loans of this page, newest first")
