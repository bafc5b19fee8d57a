"""Request and response bodies of the bank-facing credit API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from services.credit.domain.loan import Loan
from shared.identifiers import normalize_uscc, parse_patent_number, parse_trademark_number

Money = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)]


def _uscc(value: str) -> str:
    return normalize_uscc(value)


class EnterpriseIn(BaseModel):
    uscc: Annotated[str, AfterValidator(_uscc)] = Field(
        description="Unified Social Credit Code (GB 32100-2015)", examples=["91310115MA1K3YJ67U"]
    )
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=500)
    size_class: Literal["micro", "small", "medium", "large"] = Field(
        description="Enterprise size class"
    )
    high_tech: bool = Field(default=False, description="Certified high-tech enterprise")


class CollateralIn(BaseModel):
    right_type: Literal["patent", "trademark"]
    number: str = Field(description="Patent application number or trademark registration number")

    def canonical(self) -> str:
        """The number in its register form."""
        if self.right_type == "patent":
            return parse_patent_number(self.number).canonical
        return parse_trademark_number(self.number)


class LoanApplicationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "enterprise": {
                        "uscc": "91310115MA1K3YJ67U",
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

    enterprise: EnterpriseIn
    requested_amount: Money = Field(description="Yuan, to the fen")
    term_months: int = Field(ge=1, le=60)
    purpose: str = Field(min_length=1, max_length=500)
    collateral: list[CollateralIn] = Field(min_length=1, max_length=50)
    attributable_revenue: Money = Field(
        description="Annual revenue attributable to the pledged rights' products, yuan"
    )
    industry: str = Field(default="default", max_length=64)
    programme: str | None = Field(
        default=None,
        max_length=64,
        description="Risk-sharing programme the loan joins (see the bank's programmes)",
    )


class RepaymentIn(BaseModel):
    amount: Money = Field(description="Principal repaid, yuan to the fen")
    paid_at: AwareDatetime = Field(description="When the borrower paid, with a UTC offset")


class DefaultIn(BaseModel):
    declared_at: AwareDatetime = Field(description="When the bank declared the default")
    recovered_amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)] = Field(
        default=Decimal("0.00"), description="Principal recovered (e.g. by enforcing the pledge)"
    )


class TimeoutOut(BaseModel):
    kind: str
    due_at: datetime
    fired_at: datetime | None
    cancelled_at: datetime | None


class RepaymentOut(BaseModel):
    repayment_id: str
    amount: Decimal
    paid_at: datetime
    outstanding_after: Decimal


class ClaimOut(BaseModel):
    party: str
    share: Decimal
    amount: Decimal


class LoanOut(BaseModel):
    loan_id: str
    bank_id: str
    correlation_id: str = Field(
        description="Identifies this case on every event of every service (operators' history)"
    )
    status: str
    enterprise_uscc: str
    requested_amount: Decimal
    term_months: int
    collateral: list[dict[str, str]]
    approved_amount: Decimal | None
    annual_rate: Decimal | None
    decision_reasons: list[str]
    policy_version: str | None
    appraised_value: Decimal | None
    offer_expires_at: datetime | None
    pledge_registration_number: str | None
    maturity_date: date | None
    disbursed_at: datetime | None
    withdrawal_reason: str | None
    inclusive: bool
    history: list[dict[str, str]]
    programme: str | None
    decided_at: datetime | None
    decided_by: str | None
    policy_ceiling: Decimal | None
    decision_inputs: dict[str, Any]
    collateral_value: Decimal | None
    collateral_expires_on: date | None
    insurance_premium: Decimal | None
    pledge_requested_at: datetime | None
    outstanding_principal: Decimal | None
    repayments: list[RepaymentOut]
    repaid_at: datetime | None
    pledge_released_at: datetime | None
    stray_pledge_registration_number: str | None
    defaulted_at: datetime | None
    recovered_amount: Decimal | None
    loss: Decimal | None
    claims: list[ClaimOut]
    deadlines: list[TimeoutOut]

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
                kind=t.kind.value, due_at=t.due_at, fired_at=t.fired_at, cancelled_at=t.cancelled_at
            )
            for t in loan.timeouts
        ],
    }
