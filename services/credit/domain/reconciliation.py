"""Reconciliation of credit's loans with the register of pledges and with its own quotas.

What credit holds must agree with what the registry registered:
- every disbursed or repaying loan has an active pledge at the registry under its registration
  number, over exactly its rights, with its bank as pledgee and its amount as secured amount;
- every active pledge to a bank that credit filed for a loan belongs to a loan that still holds
  a pledge (disbursed, repaying, repaid with the release under way, or defaulted);
- no loan was disbursed before its pledge was registered;
- the quota each bank consumed equals the sum of the amounts disbursed for it.

A loan or pledge that changed within the grace period is left for the next run: an event may
still be on its way between the two services.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from shared.kernel.events import Aggregate, DomainEvent
from shared.topics import RECONCILIATION

RECONCILIATION_TOPIC = RECONCILIATION


class Reason(enum.StrEnum):
    """Why a loan, a pledge or a bank's quota does not reconcile (stable codes)."""

    PLEDGE_MISSING = "pledge.missing"
    PLEDGE_CANCELLED = "pledge.cancelled"
    PLEDGE_RIGHTS_DIFFER = "pledge.rights_differ"
    PLEDGE_PLEDGEE_DIFFERS = "pledge.pledgee_differs"
    PLEDGE_AMOUNT_DIFFERS = "pledge.amount_differs"
    DISBURSED_BEFORE_REGISTRATION = "loan.disbursed_before_registration"
    PLEDGE_WITHOUT_LOAN = "pledge.without_live_loan"
    QUOTA_CONSUMED_DIFFERS = "quota.consumed_differs"


# Loans that still hold their pledge: live ones, repaid ones whose release is under way, and
# defaulted ones whose pledge the bank may enforce.
HOLDING_PLEDGE = frozenset({"disbursed", "repaying", "repaid", "defaulted"})
LIVE = frozenset({"disbursed", "repaying"})


@dataclass(frozen=True)
class PledgeOnRecord:
    """A pledge as the registry holds it."""

    registration_number: str
    channel: str
    filing_reference: str | None
    pledgee_uscc: str
    rights: frozenset[str]
    secured_amount: Decimal
    active: bool
    registered_at: datetime
    changed_at: datetime

    @property
    def loan_id(self) -> str | None:
        """The loan credit filed this pledge for, if it did."""
        return self.filing_reference if self.channel == "credit" else None


@dataclass(frozen=True)
class LoanOnBook:
    """A loan as credit holds it, with what reconciliation needs."""

    loan_id: str
    bank_id: str
    status: str
    rights: frozenset[str]
    amount: Decimal | None
    registration_number: str | None
    disbursed_at: datetime | None
    changed_at: datetime


@dataclass(frozen=True)
class QuotaOnBook:
    """A bank's consumed quota, and the sum of the amounts disbursed for it."""

    bank_id: str
    consumed: Decimal
    disbursed: Decimal


@dataclass(frozen=True)
class Mismatch:
    """One disagreement found, with its reason code and what it concerns."""

    reason: Reason
    bank_id: str
    detail: str
    loan_id: str | None = None
    registration_number: str | None = None


@dataclass(frozen=True)
class Books:
    """Everything one run compares: credit's side and the registry's side."""

    loans: Mapping[str, LoanOnBook]
    pledges: Mapping[str, PledgeOnRecord]
    bank_usccs: Mapping[str, str]
    quotas: tuple[QuotaOnBook, ...] = ()


def reconcile(books: Books, now: datetime, grace: timedelta) -> list[Mismatch]:
    """Every disagreement between the books, loans first, then pledges, then quotas."""
    settled = now - grace
    return [
        *_loans_without_their_pledge(books, settled),
        *_pledges_without_their_loan(books, settled),
        *_quotas(books.quotas),
    ]


def _loans_without_their_pledge(books: Books, settled: datetime) -> Iterable[Mismatch]:
    for loan in sorted(books.loans.values(), key=lambda item: item.loan_id):
        if loan.status not in LIVE or loan.changed_at > settled:
            continue
        yield from _loan_against_pledge(loan, books, settled)


def _loan_against_pledge(loan: LoanOnBook, books: Books, settled: datetime) -> Iterable[Mismatch]:
    number = loan.registration_number
    pledge = books.pledges.get(number or "")
    mismatch = _about(loan, number)
    if pledge is None:
        yield mismatch(Reason.PLEDGE_MISSING, f"no pledge {number} is registered to the bank")
        return
    if pledge.changed_at > settled:
        return
    if not pledge.active:
        yield mismatch(Reason.PLEDGE_CANCELLED, f"pledge {number} was cancelled")
        return
    if pledge.rights != loan.rights:
        detail = f"pledge over {sorted(pledge.rights)}, loan secured by {sorted(loan.rights)}"
        yield mismatch(Reason.PLEDGE_RIGHTS_DIFFER, detail)
    uscc = books.bank_usccs.get(loan.bank_id)
    if pledge.pledgee_uscc != uscc:
        detail = f"pledgee {pledge.pledgee_uscc}, bank {loan.bank_id} is {uscc}"
        yield mismatch(Reason.PLEDGE_PLEDGEE_DIFFERS, detail)
    if pledge.secured_amount != loan.amount:
        detail = f"secured amount {pledge.secured_amount}, loan amount {loan.amount}"
        yield mismatch(Reason.PLEDGE_AMOUNT_DIFFERS, detail)
    if loan.disbursed_at is not None and loan.disbursed_at < pledge.registered_at:
        detail = (
            f"disbursed at {loan.disbursed_at.isoformat()}, pledge registered at "
            f"{pledge.registered_at.isoformat()}"
        )
        yield mismatch(Reason.DISBURSED_BEFORE_REGISTRATION, detail)


def _about(loan: LoanOnBook, number: str | None) -> _MismatchOf:
    return _MismatchOf(loan.bank_id, loan.loan_id, number)


@dataclass(frozen=True)
class _MismatchOf:
    bank_id: str
    loan_id: str | None
    registration_number: str | None

    def __call__(self, reason: Reason, detail: str) -> Mismatch:
        return Mismatch(reason, self.bank_id, detail, self.loan_id, self.registration_number)


def _pledges_without_their_loan(books: Books, settled: datetime) -> Iterable[Mismatch]:
    banks_of = {uscc: bank_id for bank_id, uscc in books.bank_usccs.items()}
    for number, pledge in sorted(books.pledges.items()):
        loan_id = pledge.loan_id
        if not pledge.active or loan_id is None or pledge.changed_at > settled:
            continue
        loan = books.loans.get(loan_id)
        if loan is not None and loan.changed_at > settled:
            continue
        if loan is None:
            detail = f"pledge {number} was filed for loan {loan_id}, which credit does not hold"
        elif loan.status not in HOLDING_PLEDGE:
            detail = f"pledge {number} secures loan {loan_id}, which is {loan.status}"
        elif loan.registration_number != number:
            detail = f"loan {loan_id} is secured by {loan.registration_number}, not {number}"
        else:
            continue
        bank_id = banks_of.get(pledge.pledgee_uscc, pledge.pledgee_uscc)
        yield Mismatch(Reason.PLEDGE_WITHOUT_LOAN, bank_id, detail, loan_id, number)


def _quotas(quotas: Iterable[QuotaOnBook]) -> Iterable[Mismatch]:
    for quota in sorted(quotas, key=lambda q: q.bank_id):
        if quota.consumed != quota.disbursed:
            detail = f"quota consumed {quota.consumed}, disbursed {quota.disbursed}"
            yield Mismatch(Reason.QUOTA_CONSUMED_DIFFERS, quota.bank_id, detail)


@dataclass(frozen=True)
class MismatchFound(DomainEvent):
    """Reconciliation found a loan, a pledge or a bank's quota that does not agree."""

    topic = RECONCILIATION_TOPIC
    event_type = "credit.reconciliation.mismatch_found"
    run_id: str
    reason: str
    bank_id: str
    detail: str
    found_at: datetime
    loan_id: str | None = None
    registration_number: str | None = None


@dataclass(frozen=True)
class ReconciliationCompleted(DomainEvent):
    """A reconciliation run ended: what it compared and how many mismatches it found."""

    topic = RECONCILIATION_TOPIC
    event_type = "credit.reconciliation.completed"
    run_id: str
    trigger: str
    started_at: datetime
    finished_at: datetime
    loans_checked: int
    pledges_checked: int
    mismatches: int


@dataclass
class ReconciliationRun(Aggregate):
    """One run of reconciliation and the mismatches it found."""

    run_id: str
    trigger: str
    started_at: datetime
    finished_at: datetime
    loans_checked: int
    pledges_checked: int
    mismatches: tuple[Mismatch, ...] = field(default_factory=tuple)

    @property
    def aggregate_id(self) -> str:
        return self.run_id

    @classmethod
    def record_run(
        cls,
        run_id: str,
        trigger: str,
        started_at: datetime,
        finished_at: datetime,
        books: Books,
        mismatches: Iterable[Mismatch],
    ) -> ReconciliationRun:
        """The run as found: one event per mismatch, then its completion."""
        loans, pledges = len(books.loans), len(books.pledges)
        run = cls(run_id, trigger, started_at, finished_at, loans, pledges, tuple(mismatches))
        for mismatch in run.mismatches:
            run.record(
                MismatchFound(
                    run_id=run_id,
                    reason=mismatch.reason.value,
                    bank_id=mismatch.bank_id,
                    detail=mismatch.detail,
                    found_at=finished_at,
                    loan_id=mismatch.loan_id,
                    registration_number=mismatch.registration_number,
                )
            )
        run.record(
            ReconciliationCompleted(
                run_id,
                trigger,
                started_at,
                finished_at,
                run.loans_checked,
                run.pledges_checked,
                len(run.mismatches),
            )
        )
        return run
