"""What happens to a loan, as facts other services and subscribers can rely on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from shared.events import DomainEvent

LOANS_TOPIC = "pledgeflow.credit.loans"


@dataclass(frozen=True)
class Enterprise:
    uscc: str
    name: str
    address: str
    size_class: str
    high_tech: bool


@dataclass(frozen=True)
class CollateralRight:
    right_type: str
    number: str


@dataclass(frozen=True)
class PartyDetails:
    name: str
    uscc: str
    address: str


@dataclass(frozen=True)
class LoanEvent(DomainEvent):
    topic = LOANS_TOPIC


@dataclass(frozen=True)
class ApplicationSubmitted(LoanEvent):
    event_type = "credit.application.submitted"
    loan_id: str
    bank_id: str
    enterprise: Enterprise
    requested_amount: Decimal
    term_months: int
    purpose: str
    collateral: tuple[CollateralRight, ...]
    attributable_revenue: Decimal
    industry: str
    submitted_at: datetime


@dataclass(frozen=True)
class LoanDecided(LoanEvent):
    event_type = "credit.loan.decided"
    loan_id: str
    bank_id: str
    outcome: str
    approved_amount: Decimal
    annual_rate: Decimal
    term_months: int
    reasons: tuple[str, ...]
    policy_version: str
    valuation_id: str
    appraised_value: Decimal
    inclusive: bool
    decided_at: datetime


@dataclass(frozen=True)
class OfferAccepted(LoanEvent):
    event_type = "credit.offer.accepted"
    loan_id: str
    bank_id: str
    amount: Decimal
    accepted_at: datetime


@dataclass(frozen=True)
class PledgeFilingRequested(LoanEvent):
    event_type = "credit.pledge_filing.requested"
    loan_id: str
    filing_reference: str
    pledgor: PartyDetails
    pledgee: PartyDetails
    debt_type: str
    secured_amount: Decimal
    performance_deadline: date
    patents: tuple[str, ...]
    trademarks: tuple[str, ...]
    scope_of_guarantee: str
    requested_at: datetime


@dataclass(frozen=True)
class LoanDisbursed(LoanEvent):
    event_type = "credit.loan.disbursed"
    loan_id: str
    bank_id: str
    enterprise_uscc: str
    amount: Decimal
    annual_rate: Decimal
    maturity_date: date
    pledge_registration_number: str
    inclusive: bool
    disbursed_at: datetime


@dataclass(frozen=True)
class OfferWithdrawn(LoanEvent):
    event_type = "credit.offer.withdrawn"
    loan_id: str
    bank_id: str
    reason: str
    detail: str
    withdrawn_at: datetime
