"""The loan's record: its fields, statuses and the transitions every stage shares."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.credit.domain.events import (
    CollateralRight,
    Enterprise,
    OfferWithdrawn,
    PledgeReleaseRequested,
)
from services.credit.domain.programmes import Share
from services.credit.domain.records import (
    LoanTimeout,
    QuotaMovement,
    RefusalGround,
    Repayment,
    TimeoutKind,
)
from shared.kernel.errors import Conflict, DomainError, Invalid, NotFound
from shared.kernel.events import Aggregate

ZERO = Decimal("0.00")


class LoanStatus(enum.StrEnum):
    AWAITING_VALUATION = "awaiting_valuation"
    AWAITING_SIGNOFF = "awaiting_signoff"
    REFERRED = "referred"
    DECLINED = "declined"
    OFFERED = "offered"
    PLEDGE_FILED = "pledge_filed"
    DISBURSED = "disbursed"
    REPAYING = "repaying"
    REPAID = "repaid"
    CLOSED = "closed"
    DEFAULTED = "defaulted"
    OFFER_WITHDRAWN = "offer_withdrawn"


UNDECIDED = frozenset({LoanStatus.AWAITING_VALUATION, LoanStatus.AWAITING_SIGNOFF})
HOLDING_QUOTA = frozenset({LoanStatus.OFFERED, LoanStatus.PLEDGE_FILED})
LIVE = frozenset({LoanStatus.DISBURSED, LoanStatus.REPAYING})
WITHOUT_LOAN = frozenset({LoanStatus.DECLINED, LoanStatus.OFFER_WITHDRAWN})


STATE_CODE_PREFIXES = ("loan.", "offer.")


class LoanRuleViolation(DomainError):
    """A command a loan rule does not allow; `code` is stable.

    Codes about the loan's or the offer's state (`loan.*`, `offer.*`) are conflicts with the
    current state; every other code is content that breaks a rule whatever the state.
    """

    def __new__(cls, code: str, message: str) -> LoanRuleViolation:
        if cls is LoanRuleViolation:
            cls = LoanStateConflict if code.startswith(STATE_CODE_PREFIXES) else LoanRuleBroken
        return super().__new__(cls)

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.message = message


class LoanStateConflict(LoanRuleViolation, Conflict):
    """The loan's or offer's current state does not allow the command."""

    title = "The loan's current state does not allow this"


class LoanRuleBroken(LoanRuleViolation, Invalid):
    """The command's content breaks a lending rule."""

    title = "The request breaks a lending rule"


class LoanNotFound(NotFound):
    """No such loan (or not the caller's)."""

    code = "loan.not_found"
    title = "Loan not found"


@dataclass
class LoanState(Aggregate):
    """Everything credit knows about one loan, from application to closure."""

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
    programme: str | None = None
    inclusive: bool = False
    approved_amount: Decimal | None = None
    annual_rate: Decimal | None = None
    decision_reasons: tuple[str, ...] = ()
    policy_version: str | None = None
    policy_ceiling: Decimal | None = None
    decision_inputs: dict[str, Any] = field(default_factory=dict)
    decided_at: datetime | None = None
    decided_by: str | None = None
    valuation_id: str | None = None
    appraised_value: Decimal | None = None
    collateral_value: Decimal | None = None
    collateral_expires_on: date | None = None
    offer_expires_at: datetime | None = None
    quota_reserved: Decimal = ZERO
    pledge_requested_at: datetime | None = None
    pledge_filing_id: str | None = None
    pledge_refusal_grounds: tuple[RefusalGround, ...] = ()
    pledge_registration_number: str | None = None
    disbursed_at: datetime | None = None
    maturity_date: date | None = None
    insurance_premium: Decimal | None = None
    outstanding_principal: Decimal | None = None
    repaid_at: datetime | None = None
    pledge_released_at: datetime | None = None
    stray_pledge_registration_number: str | None = None
    defaulted_at: datetime | None = None
    recovered_amount: Decimal | None = None
    loss: Decimal | None = None
    claims: tuple[Share, ...] = ()
    withdrawal_reason: str | None = None
    history: list[tuple[str, datetime]] = field(default_factory=list)
    timeouts: list[LoanTimeout] = field(default_factory=list)
    repayments: list[Repayment] = field(default_factory=list)
    pending_quota: list[QuotaMovement] = field(default_factory=list, repr=False, compare=False)

    @property
    def aggregate_id(self) -> str:
        return self.loan_id

    @property
    def case_id(self) -> str | None:
        """The loan's correlation id: every event of the loan carries it."""
        return self.correlation_id or None

    @property
    def rights(self) -> set[str]:
        """The numbers of the pledged rights."""
        return {c.number for c in self.collateral}

    def timeout(self, kind: TimeoutKind) -> LoanTimeout | None:
        """The deadline of that kind, if one was ever started."""
        return next((t for t in self.timeouts if t.kind is kind), None)

    def collect_quota_movements(self) -> list[QuotaMovement]:
        """Hand over the quota changes of the transitions since the last call."""
        movements = list(self.pending_quota)
        self.pending_quota.clear()
        return movements

    def _start_timeout(
        self,
        kind: TimeoutKind,
        due_at: datetime,
        provisional: bool = False,
        basis: Mapping[int, int] | None = None,
    ) -> None:
        self.timeouts = [t for t in self.timeouts if t.kind is not kind]
        timeout = LoanTimeout(kind, due_at, provisional=provisional, basis=dict(basis or {}))
        self.timeouts.append(timeout)

    def _cancel_timeouts(self, now: datetime) -> None:
        for timeout in self.timeouts:
            if timeout.pending:
                timeout.cancelled_at = now

    def _release_quota(self) -> None:
        if self.quota_reserved:
            self.pending_quota.append(QuotaMovement(release=self.quota_reserved))
        self.quota_reserved = ZERO

    def _withdraw(self, reason: str, detail: str, now: datetime) -> None:
        self.status = LoanStatus.OFFER_WITHDRAWN
        self.withdrawal_reason = reason
        self._release_quota()
        self._cancel_timeouts(now)
        self._mark(now)
        self.record(OfferWithdrawn(self.loan_id, self.bank_id, reason, detail, now))

    def _request_release(
        self, registration_number: str, reason: str, pledgee_uscc: str, now: datetime
    ) -> None:
        self.record(
            PledgeReleaseRequested(
                loan_id=self.loan_id,
                registration_number=registration_number,
                reason=reason,
                requested_at=now,
                filing_reference=self.loan_id,
                pledgee_uscc=pledgee_uscc,
                patents=tuple(c.number for c in self.collateral if c.right_type == "patent"),
                trademarks=tuple(c.number for c in self.collateral if c.right_type == "trademark"),
            )
        )

    def _require(self, allowed: frozenset[LoanStatus], code: str) -> None:
        if self.status not in allowed:
            raise LoanRuleViolation(code, f"the loan is {self.status.value}")

    def _mark(self, now: datetime) -> None:
        self.history.append((self.status.value, now))
