"""What happens to a loan, as facts other services and subscribers can rely on.

Fields added to an event after it was first published carry defaults, so they stay optional
in the published schema (additive change within a schema version).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.kernel.events import DomainEvent
from shared.topics import CREDIT_LOANS

LOANS_TOPIC = CREDIT_LOANS
NO_PREMIUM = Decimal("0.00")


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
    """A bank applied for a loan secured by patents and trademarks."""

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
    programme: str | None = None


@dataclass(frozen=True)
class AwaitingSignOff(LoanEvent):
    """The valuation is provisional; the decision waits for an appraiser's sign-off."""

    event_type = "credit.loan.awaiting_signoff"
    loan_id: str
    bank_id: str
    valuation_id: str
    provisional_value: Decimal
    received_at: datetime


@dataclass(frozen=True)
class LoanReferred(LoanEvent):
    """The bank's policy cannot decide alone; a credit officer will."""

    event_type = "credit.loan.referred"
    loan_id: str
    bank_id: str
    reasons: tuple[str, ...]
    policy_version: str
    valuation_id: str
    appraised_value: Decimal
    policy_ceiling: Decimal
    inputs: dict[str, Any]
    referred_at: datetime


@dataclass(frozen=True)
class LoanDecided(LoanEvent):
    """The loan was approved (an offer) or declined, under a named policy version."""

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
    decided_by: str = "policy"
    programme: str | None = None
    offer_expires_at: datetime | None = None
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OfferAccepted(LoanEvent):
    """The bank accepted the offer."""

    event_type = "credit.offer.accepted"
    loan_id: str
    bank_id: str
    amount: Decimal
    accepted_at: datetime


@dataclass(frozen=True)
class PledgeFilingRequested(LoanEvent):
    """Credit asks the registry to register the pledge securing the loan."""

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
    registration_due_at: datetime | None = None
    registration_due_provisional: bool = False


@dataclass(frozen=True)
class RegistrationDeadlineMoved(LoanEvent):
    """A newly loaded or amended official schedule moved the pledge registration deadline."""

    event_type = "credit.registration_deadline.moved"
    loan_id: str
    bank_id: str
    previous_due_at: datetime
    due_at: datetime
    due_provisional: bool
    calendar_year: int
    calendar_version: int
    moved_at: datetime


@dataclass(frozen=True)
class LoanDisbursed(LoanEvent):
    """The pledge is registered and the money is paid out."""

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
    programme: str | None = None
    insurance_premium: Decimal = NO_PREMIUM


@dataclass(frozen=True)
class OfferWithdrawn(LoanEvent):
    """The offer ended without a loan: expired, pledge refused or not registered in time."""

    event_type = "credit.offer.withdrawn"
    loan_id: str
    bank_id: str
    reason: str
    detail: str
    withdrawn_at: datetime


@dataclass(frozen=True)
class PledgeReleaseRequested(LoanEvent):
    """Credit asks the registry to cancel a pledge: the debt is repaid or the contract void."""

    event_type = "credit.pledge_release.requested"
    loan_id: str
    registration_number: str
    reason: str
    requested_at: datetime
    filing_reference: str = ""
    pledgee_uscc: str = ""
    patents: tuple[str, ...] = ()
    trademarks: tuple[str, ...] = ()


@dataclass(frozen=True)
class PledgeReleased(LoanEvent):
    """The registry cancelled the pledge."""

    event_type = "credit.pledge.released"
    loan_id: str
    bank_id: str
    registration_number: str
    reason: str
    released_at: datetime


@dataclass(frozen=True)
class RepaymentReceived(LoanEvent):
    """The borrower repaid principal."""

    event_type = "credit.repayment.received"
    loan_id: str
    bank_id: str
    repayment_id: str
    amount: Decimal
    paid_at: datetime
    outstanding_principal: Decimal


@dataclass(frozen=True)
class LoanRepaid(LoanEvent):
    """No principal is outstanding any more."""

    event_type = "credit.loan.repaid"
    loan_id: str
    bank_id: str
    amount: Decimal
    repaid_at: datetime


@dataclass(frozen=True)
class LoanDefaulted(LoanEvent):
    """The bank declared the borrower in default; the loss is shared under the programme."""

    event_type = "credit.loan.defaulted"
    loan_id: str
    bank_id: str
    programme: str | None
    outstanding_principal: Decimal
    recovered_amount: Decimal
    loss: Decimal
    declared_at: datetime


@dataclass(frozen=True)
class ClaimRaised(LoanEvent):
    """One party's share of a default loss, to the fen; a loan's claims sum to its loss."""

    event_type = "credit.claim.raised"
    loan_id: str
    bank_id: str
    programme: str | None
    party: str
    share: Decimal
    amount: Decimal
    raised_at: datetime


@dataclass(frozen=True)
class RiskAlertRaised(LoanEvent):
    """The collateral of a live loan lost value; coverage is recomputed with an action."""

    event_type = "credit.risk_alert.raised"
    loan_id: str
    bank_id: str
    right_number: str
    reason: str
    previous_central: Decimal
    new_central: Decimal
    outstanding_principal: Decimal
    coverage_ratio: Decimal
    required_coverage: Decimal
    suggested_action: str
    valuation_id: str
    raised_at: datetime


# Credit's decisions, each entered in its decision ledger: the policy's outcome (or referral)
# with its version and inputs, offers accepted or withdrawn, the pledge asked for and released,
# the money disbursed and repaid, defaults and claims.
DECISIONS = frozenset(
    {
        LoanReferred.event_type,
        LoanDecided.event_type,
        OfferAccepted.event_type,
        OfferWithdrawn.event_type,
        PledgeFilingRequested.event_type,
        LoanDisbursed.event_type,
        RepaymentReceived.event_type,
        LoanRepaid.event_type,
        PledgeReleaseRequested.event_type,
        PledgeReleased.event_type,
        LoanDefaulted.event_type,
        ClaimRaised.event_type,
    }
)
