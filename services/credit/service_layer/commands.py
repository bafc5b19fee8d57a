"""What credit is asked to do (commands) and to tell (queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.policy import RightAppraisal
from services.credit.domain.records import RefusalGround
from shared.kernel.messages import Command, Query


@dataclass(frozen=True)
class ApplyForLoan(Command):
    bank_id: str
    enterprise: Enterprise
    requested_amount: Decimal
    term_months: int
    purpose: str
    collateral: tuple[CollateralRight, ...]
    attributable_revenue: Decimal
    industry: str
    programme: str | None = None


@dataclass(frozen=True)
class AcceptOffer(Command):
    loan_id: str
    bank_id: str


@dataclass(frozen=True)
class RecordValuation(Command):
    loan_id: str
    valuation_id: str
    appraisals: tuple[RightAppraisal, ...]
    provisional: bool = False
    central: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class RecordPledgeOutcome(Command):
    loan_id: str
    registered: bool
    registration_number: str | None
    pledgee_uscc: str
    rights: frozenset[str]
    reasons: tuple[str, ...]
    registered_at: datetime | None = None
    filing_id: str | None = None
    grounds: tuple[RefusalGround, ...] = ()


@dataclass(frozen=True)
class RecordFilingReceived(Command):
    loan_id: str
    filing_id: str


@dataclass(frozen=True)
class RecordRepayment(Command):
    loan_id: str
    bank_id: str
    amount: Decimal
    paid_at: datetime


@dataclass(frozen=True)
class DeclareDefault(Command):
    loan_id: str
    bank_id: str
    declared_at: datetime
    recovered_amount: Decimal


@dataclass(frozen=True)
class RecordPledgeCancelled(Command):
    registration_number: str
    filing_reference: str | None
    reason: str
    cancelled_at: datetime


@dataclass(frozen=True)
class RecordImpairment(Command):
    loan_id: str
    right_number: str
    reason: str
    previous_central: Decimal
    new_central: Decimal
    valuation_id: str


@dataclass(frozen=True)
class DecideReferral(Command):
    loan_id: str
    outcome: str
    amount: Decimal | None
    reasons: tuple[str, ...]
    officer_id: str


@dataclass(frozen=True)
class FireTimeouts(Command):
    loan_id: str


@dataclass(frozen=True)
class GetLoan(Query):
    loan_id: str
    bank_id: str


@dataclass(frozen=True)
class ListLoans(Query):
    bank_id: str
    limit: int
    offset: int
    status: str | None = None


@dataclass(frozen=True)
class ListReferrals(Query):
    bank_id: str | None
    limit: int
    offset: int


@dataclass(frozen=True)
class DueTimeouts(Query):
    limit: int


@dataclass(frozen=True)
class LendingStatisticsOf(Query):
    start: datetime | None
    end: datetime | None
    bank_id: str | None


@dataclass(frozen=True)
class QuotaPositions(Query):
    """Each bank's quota: total, reserved and consumed."""
