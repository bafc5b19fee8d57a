"""The loan: from application to disbursement, never disbursed without a registered pledge."""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from services.credit.domain.events import (
    ApplicationSubmitted,
    CollateralRight,
    Enterprise,
    LoanDecided,
    LoanDisbursed,
    OfferAccepted,
    OfferWithdrawn,
    PartyDetails,
    PledgeFilingRequested,
)
from services.credit.domain.policy import Bank, RightAppraisal, decide, is_inclusive
from shared.events import Aggregate
from shared.workdays import beijing_date


class LoanStatus(enum.StrEnum):
    AWAITING_VALUATION = "awaiting_valuation"
    DECLINED = "declined"
    OFFERED = "offered"
    PLEDGE_FILED = "pledge_filed"
    DISBURSED = "disbursed"
    OFFER_WITHDRAWN = "offer_withdrawn"


class LoanRuleViolation(Exception):
    """A command the loan's current state does not allow; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Loan(Aggregate):
    loan_id: str
    bank_id: str
    enterprise: Enterprise
    requested_amount: Decimal
    term_months: int
    purpose: str
    collateral: tuple[CollateralRight, ...]
    status: LoanStatus
    submitted_at: datetime
    correlation_id: str = ""
    approved_amount: Decimal | None = None
    annual_rate: Decimal | None = None
    decision_reasons: tuple[str, ...] = ()
    policy_version: str | None = None
    valuation_id: str | None = None
    appraised_value: Decimal | None = None
    offer_expires_at: datetime | None = None
    pledge_registration_number: str | None = None
    disbursed_at: datetime | None = None
    maturity_date: date | None = None
    withdrawal_reason: str | None = None
    history: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def aggregate_id(self) -> str:
        return self.loan_id

    @classmethod
    def apply(
        cls,
        *,
        loan_id: str,
        bank: Bank,
        enterprise: Enterprise,
        requested_amount: Decimal,
        term_months: int,
        purpose: str,
        collateral: tuple[CollateralRight, ...],
        attributable_revenue: Decimal,
        industry: str,
        now: datetime,
        correlation_id: str = "",
    ) -> Loan:
        """A bank submits an application; valuation of the collateral is requested."""
        if not collateral:
            raise LoanRuleViolation("collateral.missing", "at least one right must be pledged")
        if len({c.number for c in collateral}) != len(collateral):
            raise LoanRuleViolation("collateral.duplicate", "a right is listed twice")
        loan = cls(
            loan_id=loan_id,
            bank_id=bank.bank_id,
            enterprise=enterprise,
            requested_amount=requested_amount,
            term_months=term_months,
            purpose=purpose,
            collateral=collateral,
            status=LoanStatus.AWAITING_VALUATION,
            submitted_at=now,
            correlation_id=correlation_id or loan_id,
        )
        loan._mark(now)
        loan.record(
            ApplicationSubmitted(
                loan_id=loan_id,
                bank_id=bank.bank_id,
                enterprise=enterprise,
                requested_amount=requested_amount,
                term_months=term_months,
                purpose=purpose,
                collateral=collateral,
                attributable_revenue=attributable_revenue,
                industry=industry,
                submitted_at=now,
            )
        )
        return loan

    def record_valuation(
        self, bank: Bank, valuation_id: str, appraisals: tuple[RightAppraisal, ...], now: datetime
    ) -> None:
        """Decide on the appraisal under the bank's policy; approval makes an offer."""
        if self.status is not LoanStatus.AWAITING_VALUATION:
            return
        decision = decide(bank.policy, self.requested_amount, self.term_months, appraisals)
        self.valuation_id = valuation_id
        self.appraised_value = decision.appraised_value
        self.approved_amount = decision.approved_amount
        self.annual_rate = decision.annual_rate
        self.decision_reasons = decision.reasons
        self.policy_version = bank.policy.version
        if decision.outcome == "approve":
            self.status = LoanStatus.OFFERED
            self.offer_expires_at = now + timedelta(days=bank.policy.offer_valid_days)
        else:
            self.status = LoanStatus.DECLINED
        self._mark(now)
        self.record(
            LoanDecided(
                loan_id=self.loan_id,
                bank_id=self.bank_id,
                outcome=decision.outcome,
                approved_amount=decision.approved_amount,
                annual_rate=decision.annual_rate,
                term_months=self.term_months,
                reasons=decision.reasons,
                policy_version=bank.policy.version,
                valuation_id=valuation_id,
                appraised_value=decision.appraised_value,
                inclusive=self.inclusive,
                decided_at=now,
            )
        )

    def accept_offer(self, bank: Bank, now: datetime) -> None:
        """The bank accepts the offer; the pledge is filed with the registry."""
        if self.status is not LoanStatus.OFFERED:
            raise LoanRuleViolation("loan.not_offered", f"the loan is {self.status.value}")
        assert self.offer_expires_at is not None and self.approved_amount is not None
        if now >= self.offer_expires_at:
            self.withdraw("offer.expired", "the offer expired before acceptance", now)
            raise LoanRuleViolation("offer.expired", "the offer has expired")
        self.maturity_date = add_months(beijing_date(now), self.term_months)
        self.status = LoanStatus.PLEDGE_FILED
        self._mark(now)
        self.record(OfferAccepted(self.loan_id, self.bank_id, self.approved_amount, now))
        self.record(
            PledgeFilingRequested(
                loan_id=self.loan_id,
                filing_reference=self.loan_id,
                pledgor=PartyDetails(
                    self.enterprise.name, self.enterprise.uscc, self.enterprise.address
                ),
                pledgee=PartyDetails(bank.name, bank.uscc, bank.address),
                debt_type="loan",
                secured_amount=self.approved_amount,
                performance_deadline=self.maturity_date,
                patents=tuple(c.number for c in self.collateral if c.right_type == "patent"),
                trademarks=tuple(c.number for c in self.collateral if c.right_type == "trademark"),
                scope_of_guarantee="principal, interest, default interest and enforcement costs",
                requested_at=now,
            )
        )

    def pledge_registered(
        self,
        registration_number: str,
        pledgee_uscc: str,
        rights: set[str],
        bank: Bank,
        now: datetime,
    ) -> None:
        """The registry registered the pledge: the loan is disbursed."""
        if self.status is not LoanStatus.PLEDGE_FILED:
            return
        if pledgee_uscc != bank.uscc or rights != {c.number for c in self.collateral}:
            raise LoanRuleViolation(
                "pledge.mismatch", "the registered pledge does not secure this loan's collateral"
            )
        assert self.approved_amount is not None and self.annual_rate is not None
        assert self.maturity_date is not None
        self.pledge_registration_number = registration_number
        self.status = LoanStatus.DISBURSED
        self.disbursed_at = now
        self._mark(now)
        self.record(
            LoanDisbursed(
                loan_id=self.loan_id,
                bank_id=self.bank_id,
                enterprise_uscc=self.enterprise.uscc,
                amount=self.approved_amount,
                annual_rate=self.annual_rate,
                maturity_date=self.maturity_date,
                pledge_registration_number=registration_number,
                inclusive=self.inclusive,
                disbursed_at=now,
            )
        )

    def pledge_refused(self, reasons: tuple[str, ...], now: datetime) -> None:
        """The registry refused the pledge: the offer is withdrawn."""
        if self.status is LoanStatus.PLEDGE_FILED:
            self.withdraw("pledge.refused", ", ".join(reasons), now)

    def withdraw(self, reason: str, detail: str, now: datetime) -> None:
        """End the offer without a loan."""
        self.status = LoanStatus.OFFER_WITHDRAWN
        self.withdrawal_reason = reason
        self._mark(now)
        self.record(OfferWithdrawn(self.loan_id, self.bank_id, reason, detail, now))

    @property
    def inclusive(self) -> bool:
        amount = self.approved_amount or self.requested_amount
        return is_inclusive(amount, self.enterprise.size_class)

    def _mark(self, now: datetime) -> None:
        self.history.append((self.status.value, now))


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
