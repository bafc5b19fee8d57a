"""The loan: from application to disbursement, never disbursed without a registered pledge.

A loan follows the policy version it was decided under. An approval reserves part of the
bank's IP-loan quota (the caller reserves it before recording the approval); withdrawing the
offer releases it and disbursement consumes it. Offer expiry and pledge registration are
durable deadlines the loan starts and a sweeper fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from services.credit.domain.events import (
    ApplicationSubmitted,
    AwaitingSignOff,
    CollateralRight,
    Enterprise,
    LoanDecided,
    LoanDisbursed,
    LoanReferred,
    OfferAccepted,
    PartyDetails,
    PledgeFilingRequested,
    RegistrationDeadlineMoved,
)
from services.credit.domain.loan_state import (
    UNDECIDED,
    WITHOUT_LOAN,
    ZERO,
    LoanNotFound,
    LoanRuleViolation,
    LoanStatus,
)
from services.credit.domain.policy import (
    Bank,
    CreditRequest,
    Decision,
    DecisionPolicy,
    RightAppraisal,
    add_months,
    decide,
)
from services.credit.domain.programmes import Programme
from services.credit.domain.records import QuotaMovement, RefusalGround, TimeoutKind
from services.credit.domain.servicing import ServicedLoan
from shared.workdays import CountedDeadline, beijing_date

__all__ = ["Appraisal", "Loan", "LoanNotFound", "LoanRuleViolation", "LoanStatus", "add_months"]

CONTRACT_VOID = "contract_void"
RegistrationDeadline = Callable[[datetime, int], CountedDeadline]
SCOPE_OF_GUARANTEE = "principal, interest, default interest and enforcement costs"


@dataclass(frozen=True)
class Appraisal:
    """A final valuation of the loan's collateral."""

    valuation_id: str
    rights: tuple[RightAppraisal, ...]


class Loan(ServicedLoan):
    """A loan application and its life as a loan."""

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
        programme: Programme | None = None,
    ) -> Loan:
        """A bank submits an application; valuation of the collateral is requested."""
        _check_application(bank, collateral, programme)
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
            programme=programme.name if programme else None,
            inclusive=bank.policy_at(now).is_inclusive(requested_amount, enterprise.size_class),
        )
        loan._mark(now)
        loan.record(loan._submitted(attributable_revenue, industry))
        return loan

    def _submitted(self, attributable_revenue: Decimal, industry: str) -> ApplicationSubmitted:
        return ApplicationSubmitted(
            loan_id=self.loan_id,
            bank_id=self.bank_id,
            enterprise=self.enterprise,
            requested_amount=self.requested_amount,
            term_months=self.term_months,
            purpose=self.purpose,
            collateral=self.collateral,
            attributable_revenue=attributable_revenue,
            industry=industry,
            submitted_at=self.submitted_at,
            programme=self.programme,
        )

    @property
    def awaits_decision(self) -> bool:
        """No decision yet: the valuation (or its sign-off) is still to come."""
        return self.status in UNDECIDED

    def await_signoff(self, valuation_id: str, provisional_value: Decimal, now: datetime) -> None:
        """A provisional valuation arrived: wait for the appraiser before deciding."""
        if not self.awaits_decision:
            return
        self.status = LoanStatus.AWAITING_SIGNOFF
        self.valuation_id = valuation_id
        self._mark(now)
        self.record(
            AwaitingSignOff(self.loan_id, self.bank_id, valuation_id, provisional_value, now)
        )

    def assess(
        self,
        policy: DecisionPolicy,
        programme: Programme | None,
        appraisal: Appraisal,
        now: datetime,
    ) -> Decision:
        """What the policy decides on this appraisal (nothing changes yet)."""
        request = CreditRequest(
            self.requested_amount, self.term_months, self.enterprise.size_class, programme
        )
        decision = decide(policy, request, appraisal.rights, beijing_date(now))
        inputs = decision.inputs | {"valuation_id": appraisal.valuation_id}
        return replace(decision, inputs=inputs)

    def officer_decision(
        self,
        bank: Bank,
        programme: Programme | None,
        outcome: str,
        amount: Decimal | None,
        reasons: tuple[str, ...],
        officer_id: str,
    ) -> Decision:
        """A credit officer's decision on a referral, bounded by the policy ceiling."""
        self._require(frozenset({LoanStatus.REFERRED}), "loan.not_referred")
        assert self.policy_ceiling is not None and self.annual_rate is not None
        policy = bank.policy_version(self.policy_version)
        approved = ZERO
        if outcome == "approve":
            approved = self.policy_ceiling if amount is None else amount
            self._check_officer_amount(policy, approved)
        officer = {"officer_id": officer_id, "outcome": outcome, "reasons": list(reasons)}
        officer["amount"] = str(approved)
        return Decision(
            outcome="approve" if outcome == "approve" else "decline",
            approved_amount=approved,
            annual_rate=self.annual_rate,
            reasons=(*self.decision_reasons, *reasons),
            appraised_value=self.appraised_value or ZERO,
            ceiling=self.policy_ceiling,
            inclusive=policy.is_inclusive(
                approved or self.requested_amount, self.enterprise.size_class
            ),
            policy_version=policy.version,
            inputs=self.decision_inputs | {"officer": officer},
            decided_by=officer_id,
            insurance_premium=programme.premium(approved, self.term_months) if programme else ZERO,
        )

    def _check_officer_amount(self, policy: DecisionPolicy, amount: Decimal) -> None:
        assert self.policy_ceiling is not None
        if amount > self.policy_ceiling:
            raise LoanRuleViolation(
                "referral.amount_above_ceiling",
                f"{amount} exceeds the policy ceiling {self.policy_ceiling}",
            )
        if amount < policy.min_amount:
            raise LoanRuleViolation(
                "referral.amount_below_minimum", f"{amount} is below {policy.min_amount}"
            )

    def record_decision(
        self,
        decision: Decision,
        policy: DecisionPolicy,
        now: datetime,
        appraisal: Appraisal | None = None,
    ) -> None:
        """Record a decision; an approval (its quota already reserved) makes an offer."""
        allowed = UNDECIDED | {LoanStatus.REFERRED} if appraisal is None else UNDECIDED
        self._require(frozenset(allowed), "loan.already_decided")
        if appraisal is not None:
            self._record_appraisal(decision, appraisal)
        self.approved_amount = decision.approved_amount
        self.annual_rate = decision.annual_rate
        self.decision_reasons = decision.reasons
        self.policy_version = decision.policy_version
        self.policy_ceiling = decision.ceiling
        self.decision_inputs = decision.inputs
        self.decided_at, self.decided_by = now, decision.decided_by
        self.inclusive = decision.inclusive
        self.insurance_premium = decision.insurance_premium
        if decision.outcome == "refer":
            self.status = LoanStatus.REFERRED
            self._mark(now)
            self.record(self._referred(decision, now))
            return
        if decision.outcome == "approve":
            self._offer(decision, policy, now)
        else:
            self.status = LoanStatus.DECLINED
            self._mark(now)
        self.record(self._decided(decision, now))

    def _record_appraisal(self, decision: Decision, appraisal: Appraisal) -> None:
        self.valuation_id = appraisal.valuation_id
        self.appraised_value = self.collateral_value = decision.appraised_value
        expiries = [r.expiry_date for r in appraisal.rights if r.expiry_date is not None]
        self.collateral_expires_on = min(expiries, default=None)

    def _offer(self, decision: Decision, policy: DecisionPolicy, now: datetime) -> None:
        self.status = LoanStatus.OFFERED
        self.quota_reserved = decision.approved_amount
        self.offer_expires_at = now + timedelta(days=policy.offer_valid_days)
        self._start_timeout(TimeoutKind.OFFER_EXPIRY, self.offer_expires_at)
        self._mark(now)

    def _referred(self, decision: Decision, now: datetime) -> LoanReferred:
        return LoanReferred(
            loan_id=self.loan_id,
            bank_id=self.bank_id,
            reasons=decision.reasons,
            policy_version=decision.policy_version,
            valuation_id=self.valuation_id or "",
            appraised_value=decision.appraised_value,
            policy_ceiling=decision.ceiling,
            inputs=decision.inputs,
            referred_at=now,
        )

    def _decided(self, decision: Decision, now: datetime) -> LoanDecided:
        return LoanDecided(
            loan_id=self.loan_id,
            bank_id=self.bank_id,
            outcome=decision.outcome,
            approved_amount=decision.approved_amount,
            annual_rate=decision.annual_rate,
            term_months=self.term_months,
            reasons=decision.reasons,
            policy_version=decision.policy_version,
            valuation_id=self.valuation_id or "",
            appraised_value=decision.appraised_value,
            inclusive=decision.inclusive,
            decided_at=now,
            decided_by=decision.decided_by,
            programme=self.programme,
            offer_expires_at=self.offer_expires_at,
            inputs=decision.inputs,
        )

    def accept_offer(
        self, bank: Bank, now: datetime, registration_deadline: RegistrationDeadline
    ) -> None:
        """The bank accepts the offer; the pledge is filed with the registry.

        `registration_deadline(requested_at, working_days)` counts the working days the
        loan's policy gives the registry.
        """
        self._require(frozenset({LoanStatus.OFFERED}), "loan.not_offered")
        assert self.offer_expires_at is not None and self.approved_amount is not None
        if now >= self.offer_expires_at:
            self._fire(TimeoutKind.OFFER_EXPIRY, now)
            lapsed = LoanRuleViolation("offer.expired", "the offer has expired")
            lapsed.keep_changes = True
            raise lapsed
        policy = bank.policy_version(self.policy_version)
        due = registration_deadline(now, policy.registration_timeout_working_days)
        maturity = add_months(beijing_date(now), self.term_months)
        if self.collateral_expires_on is not None and maturity >= self.collateral_expires_on:
            raise LoanRuleViolation(
                "term.beyond_collateral_expiry",
                f"the loan would mature on {maturity}, after a right expires",
            )
        self.maturity_date = maturity
        self.status = LoanStatus.PLEDGE_FILED
        self.pledge_requested_at = now
        self._cancel_timeouts(now)
        self._start_timeout(TimeoutKind.PLEDGE_REGISTRATION, due.at, due.provisional, due.basis)
        self._mark(now)
        self.record(OfferAccepted(self.loan_id, self.bank_id, self.approved_amount, now))
        self.record(self._filing(bank, now, due))

    def recount_registration_deadline(
        self,
        bank: Bank,
        registration_deadline: RegistrationDeadline,
        calendar_year: int,
        calendar_version: int,
        now: datetime,
    ) -> bool:
        """Count the pending registration deadline anew on a newer official schedule.

        Returns True, and announces it, if the deadline moved.
        """
        timeout = self.timeout(TimeoutKind.PLEDGE_REGISTRATION)
        if self.status is not LoanStatus.PLEDGE_FILED or timeout is None or not timeout.pending:
            return False
        assert self.pledge_requested_at is not None
        policy = bank.policy_version(self.policy_version)
        due = registration_deadline(
            self.pledge_requested_at, policy.registration_timeout_working_days
        )
        previous = timeout.due_at
        timeout.due_at, timeout.provisional, timeout.basis = (
            due.at,
            due.provisional,
            dict(due.basis),
        )
        if due.at == previous:
            return False
        self.record(
            RegistrationDeadlineMoved(
                loan_id=self.loan_id,
                bank_id=self.bank_id,
                previous_due_at=previous,
                due_at=due.at,
                due_provisional=due.provisional,
                calendar_year=calendar_year,
                calendar_version=calendar_version,
                moved_at=now,
            )
        )
        return True

    def _filing(self, bank: Bank, now: datetime, due: CountedDeadline) -> PledgeFilingRequested:
        assert self.approved_amount is not None and self.maturity_date is not None
        return PledgeFilingRequested(
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
            scope_of_guarantee=SCOPE_OF_GUARANTEE,
            requested_at=now,
            registration_due_at=due.at,
            registration_due_provisional=due.provisional,
        )

    def pledge_registered(
        self,
        registration_number: str,
        pledgee_uscc: str,
        rights: set[str],
        bank: Bank,
        now: datetime,
        registered_at: datetime | None = None,
    ) -> None:
        """The registry registered a pledge: disburse if it secures this loan and came in time.

        A provisional deadline (its year's schedule not yet loaded) is not held against the
        registry. A pledge registered after the offer ended (refused, withdrawn, registered
        too late) secures no loan: its release is requested as a void contract, once.
        """
        if self.status not in {LoanStatus.PLEDGE_FILED} | WITHOUT_LOAN:
            return
        if pledgee_uscc != bank.uscc or rights != self.rights:
            raise LoanRuleViolation(
                "pledge.mismatch", "the registered pledge does not secure this loan's collateral"
            )
        if self.status is LoanStatus.PLEDGE_FILED:
            deadline = self.timeout(TimeoutKind.PLEDGE_REGISTRATION)
            if deadline is None or deadline.provisional or (registered_at or now) < deadline.due_at:
                self._disburse(registration_number, now)
                return
            self._fire(TimeoutKind.PLEDGE_REGISTRATION, now)
        if self.stray_pledge_registration_number is None:
            self.stray_pledge_registration_number = registration_number
            self._request_release(registration_number, CONTRACT_VOID, bank.uscc, now)

    def _disburse(self, registration_number: str, now: datetime) -> None:
        assert self.approved_amount is not None and self.annual_rate is not None
        assert self.maturity_date is not None
        self.pending_quota.append(QuotaMovement(self.quota_reserved, self.approved_amount))
        self.quota_reserved = ZERO
        self.pledge_registration_number = registration_number
        self.status = LoanStatus.DISBURSED
        self.disbursed_at = now
        self.outstanding_principal = self.approved_amount
        self._cancel_timeouts(now)
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
                programme=self.programme,
                insurance_premium=self.insurance_premium or ZERO,
            )
        )

    def pledge_refused(
        self, reasons: tuple[str, ...], now: datetime, grounds: tuple[RefusalGround, ...] = ()
    ) -> None:
        """The registry refused the pledge: the offer is withdrawn, the grounds kept."""
        if self.status is LoanStatus.PLEDGE_FILED:
            self.pledge_refusal_grounds = grounds
            self._withdraw("pledge.refused", ", ".join(reasons), now)

    def pledge_filed_as(self, filing_id: str) -> None:
        """The registry received the pledge filing under `filing_id` (the first one counts)."""
        if self.pledge_filing_id is None and self.pledge_requested_at is not None:
            self.pledge_filing_id = filing_id

    def fire_due_timeouts(self, now: datetime) -> list[TimeoutKind]:
        """Fire the deadlines that have come; one the loan has moved past is cancelled."""
        fired = []
        for timeout in self.timeouts:
            if not timeout.is_due(now):
                continue
            if self._fire(timeout.kind, now):
                fired.append(timeout.kind)
            else:
                timeout.cancelled_at = now
        return fired

    def _fire(self, kind: TimeoutKind, now: datetime) -> bool:
        guarded, reason, detail = {
            TimeoutKind.OFFER_EXPIRY: (
                LoanStatus.OFFERED,
                "offer.expired",
                "the offer expired before acceptance",
            ),
            TimeoutKind.PLEDGE_REGISTRATION: (
                LoanStatus.PLEDGE_FILED,
                "pledge.not_registered_in_time",
                "the pledge was not registered by the deadline",
            ),
        }[kind]
        if self.status is not guarded:
            return False
        timeout = self.timeout(kind)
        if timeout is not None:
            timeout.fired_at = now
        self._withdraw(reason, detail, now)
        return True


def _check_application(
    bank: Bank, collateral: tuple[CollateralRight, ...], programme: Programme | None
) -> None:
    if not collateral:
        raise LoanRuleViolation("collateral.missing", "at least one right must be pledged")
    if len({c.number for c in collateral}) != len(collateral):
        raise LoanRuleViolation("collateral.duplicate", "a right is listed twice")
    if programme is not None and programme.name not in bank.programmes:
        raise LoanRuleViolation(
            "programme.not_offered", f"{bank.bank_id} does not lend under {programme.name}"
        )
