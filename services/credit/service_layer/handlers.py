"""Credit's origination use cases. Each runs in one unit of work; entry points call them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import Appraisal, Loan, LoanRuleViolation
from services.credit.domain.policy import Bank, RightAppraisal
from services.credit.service_layer.deadlines import registration_due
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from shared.context import EventContext, current_context, reset_context, set_context
from shared.workdays import CountedDeadline

QUOTA_EXHAUSTED = "quota.exhausted"


class LoanNotFound(Exception):
    """No such loan for this bank."""


@dataclass(frozen=True)
class ApplyForLoan:
    bank: Bank
    enterprise: Enterprise
    requested_amount: Decimal
    term_months: int
    purpose: str
    collateral: tuple[CollateralRight, ...]
    attributable_revenue: Decimal
    industry: str
    programme: str | None = None


@dataclass(frozen=True)
class RecordValuation:
    loan_id: str
    valuation_id: str
    appraisals: tuple[RightAppraisal, ...]
    provisional: bool = False
    central: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class RecordPledgeOutcome:
    loan_id: str
    registered: bool
    registration_number: str | None
    pledgee_uscc: str
    rights: frozenset[str]
    reasons: tuple[str, ...]
    registered_at: datetime | None = None


async def apply_for_loan(command: ApplyForLoan, deps: CreditDeps, uow: CreditUnitOfWork) -> Loan:
    """Open a loan application; valuation is requested by its event."""
    if command.programme is not None and command.programme not in deps.programmes:
        raise LoanRuleViolation("programme.unknown", f"no programme {command.programme!r}")
    loan = Loan.apply(
        loan_id=str(uuid.uuid4()),
        bank=command.bank,
        enterprise=command.enterprise,
        requested_amount=command.requested_amount,
        term_months=command.term_months,
        purpose=command.purpose,
        collateral=command.collateral,
        attributable_revenue=command.attributable_revenue,
        industry=command.industry,
        now=deps.clock.now(),
        correlation_id=current_context().correlation_id,
        programme=deps.programme(command.programme),
    )
    await uow.loans.save(loan)
    uow.track(loan)
    await uow.commit()
    return loan


async def accept_offer(loan_id: str, bank: Bank, deps: CreditDeps, uow: CreditUnitOfWork) -> Loan:
    """The bank accepts its offer; the pledge filing goes to the registry."""
    loan = await bank_loan(uow, loan_id, bank, for_update=True)

    def deadline(requested_at: datetime, working_days: int) -> CountedDeadline:
        return registration_due(requested_at, working_days, deps.calendar)

    with case_of(loan):
        try:
            loan.accept_offer(bank, deps.clock.now(), deadline)
        except LoanRuleViolation:
            if loan.pending_events:
                await _save(uow, loan)
                await uow.commit()
            raise
        await _save(uow, loan)
        await uow.commit()
    return loan


async def get_loan(loan_id: str, bank: Bank, uow: CreditUnitOfWork) -> Loan:
    """One of the bank's loans."""
    return await bank_loan(uow, loan_id, bank)


async def list_loans(
    bank: Bank, limit: int, offset: int, status: str | None, uow: CreditUnitOfWork
) -> tuple[int, list[Loan]]:
    """One page of the bank's own loans, newest first."""
    return await uow.loans.list_for_bank(bank.bank_id, limit, offset, status)


async def record_valuation(
    command: RecordValuation, deps: CreditDeps, uow: CreditUnitOfWork
) -> None:
    """Decide on a final valuation, or wait for the sign-off of a provisional one."""
    loan = await uow.loans.get(command.loan_id, for_update=True)
    if loan is None or not loan.awaits_decision:
        return
    now = deps.clock.now()
    if command.provisional:
        loan.await_signoff(command.valuation_id, command.central, now)
    else:
        appraisal = Appraisal(command.valuation_id, command.appraisals)
        await decide_on_appraisal(loan, appraisal, deps, uow, now)
    await _save(uow, loan)


async def decide_on_appraisal(
    loan: Loan, appraisal: Appraisal, deps: CreditDeps, uow: CreditUnitOfWork, now: datetime
) -> None:
    """Apply the policy in force; an approval must first reserve the bank's quota."""
    bank = deps.banks[loan.bank_id]
    policy = bank.policy_at(now)
    decision = loan.assess(policy, deps.programme(loan.programme), appraisal, now)
    if decision.outcome == "approve":
        reserved = await uow.quotas.reserve(
            bank.bank_id, bank.quota_total, decision.approved_amount
        )
        decision = (
            replace(decision, inputs=decision.inputs | {"quota": "reserved"})
            if reserved
            else decision.declined_for(QUOTA_EXHAUSTED, quota="exhausted")
        )
    loan.record_decision(decision, policy, now, appraisal)


async def record_pledge_outcome(
    command: RecordPledgeOutcome, deps: CreditDeps, uow: CreditUnitOfWork
) -> None:
    """Disburse on a registered pledge; withdraw the offer on a refused one."""
    loan = await uow.loans.get(command.loan_id, for_update=True)
    if loan is None:
        return
    now = deps.clock.now()
    if command.registered and command.registration_number:
        loan.pledge_registered(
            command.registration_number,
            command.pledgee_uscc,
            set(command.rights),
            deps.banks[loan.bank_id],
            now,
            registered_at=command.registered_at,
        )
    else:
        loan.pledge_refused(command.reasons, now)
    await _save(uow, loan)


async def bank_loan(
    uow: CreditUnitOfWork, loan_id: str, bank: Bank, *, for_update: bool = False
) -> Loan:
    """The loan if it is this bank's; `LoanNotFound` otherwise."""
    loan = await uow.loans.get(loan_id, for_update=for_update)
    if loan is None or loan.bank_id != bank.bank_id:
        raise LoanNotFound(loan_id)
    return loan


@contextmanager
def case_of(loan: Loan) -> Iterator[None]:
    """Events recorded meanwhile belong to the loan's case (its correlation id)."""
    token = set_context(EventContext(loan.correlation_id))
    try:
        yield
    finally:
        reset_context(token)


async def _save(uow: CreditUnitOfWork, loan: Loan) -> None:
    await uow.loans.save(loan)
    uow.track(loan)
