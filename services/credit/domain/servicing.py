"""A disbursed loan: repayments, release of the pledge, default with shared losses, impairment."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from services.credit.domain.events import (
    ClaimRaised,
    LoanDefaulted,
    LoanRepaid,
    PledgeReleased,
    RepaymentReceived,
    RiskAlertRaised,
)
from services.credit.domain.loan_state import (
    LIVE,
    ZERO,
    LoanRuleViolation,
    LoanState,
    LoanStatus,
)
from services.credit.domain.policy import Bank
from services.credit.domain.programmes import BANK_ALONE, Programme, allocate_loss
from services.credit.domain.records import Repayment

DEBT_REPAID = "debt_repaid"
COVERAGE_PRECISION = Decimal("0.0001")
TOP_UP = "top_up_collateral"
MONITOR = "monitor"


class ServicedLoan(LoanState):
    """The stages after disbursement."""

    def record_repayment(
        self, repayment_id: str, amount: Decimal, paid_at: datetime, bank: Bank, now: datetime
    ) -> Repayment:
        """Principal paid back; at zero outstanding the loan is repaid and the pledge released."""
        self._require(LIVE, "loan.not_live")
        assert self.outstanding_principal is not None and self.disbursed_at is not None
        self._check_moment(paid_at, now, "repayment")
        if amount <= ZERO:
            raise LoanRuleViolation("repayment.not_positive", "a repayment must be positive")
        if amount > self.outstanding_principal:
            raise LoanRuleViolation(
                "repayment.exceeds_outstanding",
                f"{amount} exceeds the outstanding principal {self.outstanding_principal}",
            )
        self.outstanding_principal -= amount
        repayment = Repayment(repayment_id, amount, paid_at, self.outstanding_principal)
        self.repayments.append(repayment)
        self.status = LoanStatus.REPAYING if self.outstanding_principal else LoanStatus.REPAID
        self._mark(now)
        self.record(
            RepaymentReceived(
                self.loan_id,
                self.bank_id,
                repayment_id,
                amount,
                paid_at,
                self.outstanding_principal,
            )
        )
        if self.status is LoanStatus.REPAID:
            self._repaid(bank, paid_at, now)
        return repayment

    def _repaid(self, bank: Bank, paid_at: datetime, now: datetime) -> None:
        assert self.pledge_registration_number is not None and self.approved_amount is not None
        self.repaid_at = paid_at
        self.record(LoanRepaid(self.loan_id, self.bank_id, self.approved_amount, paid_at))
        self._request_release(self.pledge_registration_number, DEBT_REPAID, bank.uscc, now)

    def pledge_cancelled(
        self, registration_number: str, reason: str, cancelled_at: datetime, now: datetime
    ) -> None:
        """The registry cancelled a pledge of this loan: a repaid loan is closed."""
        if registration_number == self.stray_pledge_registration_number:
            if self.pledge_released_at is None:
                self._released(registration_number, reason, cancelled_at)
            return
        if registration_number != self.pledge_registration_number:
            raise LoanRuleViolation(
                "pledge.mismatch", f"pledge {registration_number} does not secure this loan"
            )
        if self.status is LoanStatus.REPAID:
            self.status = LoanStatus.CLOSED
            self._mark(now)
            self._released(registration_number, reason, cancelled_at)
        elif self.status is LoanStatus.DEFAULTED and self.pledge_released_at is None:
            self._released(registration_number, reason, cancelled_at)
        elif self.status in LIVE:
            raise LoanRuleViolation(
                "pledge.cancelled_while_live",
                f"pledge {registration_number} was cancelled while principal is outstanding",
            )

    def _released(self, registration_number: str, reason: str, released_at: datetime) -> None:
        self.pledge_released_at = released_at
        self.record(
            PledgeReleased(self.loan_id, self.bank_id, registration_number, reason, released_at)
        )

    def declare_default(
        self,
        declared_at: datetime,
        recovered_amount: Decimal,
        programme: Programme | None,
        now: datetime,
    ) -> None:
        """The bank declares a default; the loss is split between the programme's parties."""
        self._require(LIVE, "loan.not_live")
        assert self.outstanding_principal is not None
        self._check_moment(declared_at, now, "default")
        if recovered_amount < ZERO or recovered_amount > self.outstanding_principal:
            raise LoanRuleViolation(
                "default.recovery_exceeds_outstanding",
                f"recovered {recovered_amount} of {self.outstanding_principal} outstanding",
            )
        loss = self.outstanding_principal - recovered_amount
        scheme = programme or BANK_ALONE
        self.claims = allocate_loss(loss, scheme.shares) if loss > ZERO else ()
        self.status = LoanStatus.DEFAULTED
        self.defaulted_at, self.recovered_amount, self.loss = declared_at, recovered_amount, loss
        self._mark(now)
        outstanding = self.outstanding_principal
        self.record(
            LoanDefaulted(
                self.loan_id,
                self.bank_id,
                self.programme,
                outstanding,
                recovered_amount,
                loss,
                declared_at,
            )
        )
        for c in self.claims:
            self.record(
                ClaimRaised(
                    self.loan_id, self.bank_id, self.programme, c.party, c.share, c.amount, now
                )
            )

    def record_impairment(
        self,
        right_number: str,
        reason: str,
        previous_central: Decimal,
        new_central: Decimal,
        valuation_id: str,
        bank: Bank,
        now: datetime,
    ) -> None:
        """A pledged right lost value: raise a risk alert for a live loan, with its coverage."""
        if self.status not in LIVE:
            return
        if right_number not in self.rights:
            raise LoanRuleViolation(
                "impairment.unknown_right", f"{right_number} is not pledged for this loan"
            )
        assert self.outstanding_principal is not None
        outstanding = self.outstanding_principal
        cap = bank.policy_version(self.policy_version).lending_cap(self._collateral_kinds())
        coverage, required, action = coverage_of(new_central, outstanding, cap)
        self.collateral_value = new_central
        self.record(
            RiskAlertRaised(
                loan_id=self.loan_id,
                bank_id=self.bank_id,
                right_number=right_number,
                reason=reason,
                previous_central=previous_central,
                new_central=new_central,
                outstanding_principal=outstanding,
                coverage_ratio=coverage,
                required_coverage=required,
                suggested_action=action,
                valuation_id=valuation_id,
                raised_at=now,
            )
        )

    def _collateral_kinds(self) -> set[str]:
        rights = self.decision_inputs.get("rights") or []
        return {str(r["kind"]) for r in rights if not r.get("zero_reason")}

    def _check_moment(self, moment: datetime, now: datetime, what: str) -> None:
        assert self.disbursed_at is not None
        if moment.tzinfo is None:
            raise LoanRuleViolation(f"{what}.naive_time", "times must carry a UTC offset")
        if moment < self.disbursed_at:
            raise LoanRuleViolation(
                f"{what}.before_disbursement", f"the loan was disbursed at {self.disbursed_at}"
            )
        if moment > now:
            raise LoanRuleViolation(f"{what}.in_future", f"{moment} is later than now")


def coverage_of(value: Decimal, outstanding: Decimal, cap: Decimal) -> tuple[Decimal, Decimal, str]:
    """Coverage (collateral value per yuan outstanding), the coverage required, and the action.

    The policy lends at most `cap` (the highest loan-to-value cap among the pledged kinds) per
    yuan of collateral, so it needs 1 / cap; below that the bank is told to ask for more
    collateral (`top_up_collateral`), otherwise to `monitor` the loan. The comparison is exact;
    the two ratios are reported to four decimals (coverage rounded down, requirement up).
    """
    coverage = (value / outstanding).quantize(COVERAGE_PRECISION, ROUND_DOWN)
    required = (1 / cap).quantize(COVERAGE_PRECISION, ROUND_UP) if cap else Decimal(0)
    return coverage, required, TOP_UP if value * cap < outstanding else MONITOR
