"""Credit's use cases. Each runs in one unit of work; HTTP and event entry points call them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import Loan, LoanRuleViolation
from services.credit.domain.policy import Bank, RightAppraisal
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from shared.context import EventContext, current_context, set_context


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


@dataclass(frozen=True)
class RecordValuation:
    loan_id: str
    valuation_id: str
    appraisals: tuple[RightAppraisal, ...]


@dataclass(frozen=True)
class RecordPledgeOutcome:
    loan_id: str
    registered: bool
    registration_number: str | None
    pledgee_uscc: str
    rights: frozenset[str]
    reasons: tuple[str, ...]


def _now() -> datetime:
    return datetime.now(UTC)


async def apply_for_loan(command: ApplyForLoan, uow: CreditUnitOfWork) -> Loan:
    """Open a loan application; valuation is requested by its event."""
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
        now=_now(),
        correlation_id=current_context().correlation_id,
    )
    await uow.loans.save(loan)
    uow.track(loan)
    await uow.commit()
    return loan


async def accept_offer(loan_id: str, bank: Bank, uow: CreditUnitOfWork) -> Loan:
    """The bank accepts its offer; the pledge filing goes to the registry."""
    loan = await _bank_loan(uow, loan_id, bank)
    set_context(EventContext(loan.correlation_id))
    try:
        loan.accept_offer(bank, _now())
    except LoanRuleViolation:
        if loan.pending_events:
            await uow.loans.save(loan)
            uow.track(loan)
            await uow.commit()
        raise
    await uow.loans.save(loan)
    uow.track(loan)
    await uow.commit()
    return loan


async def get_loan(loan_id: str, bank: Bank, uow: CreditUnitOfWork) -> Loan:
    """One of the bank's loans."""
    return await _bank_loan(uow, loan_id, bank)


async def record_valuation(
    command: RecordValuation, banks: dict[str, Bank], uow: CreditUnitOfWork
) -> None:
    """Decide the loan on its appraisal (inside the caller's event transaction)."""
    loan = await uow.loans.get(command.loan_id)
    if loan is None:
        return
    loan.record_valuation(banks[loan.bank_id], command.valuation_id, command.appraisals, _now())
    await uow.loans.save(loan)
    uow.track(loan)


async def record_pledge_outcome(
    command: RecordPledgeOutcome, banks: dict[str, Bank], uow: CreditUnitOfWork
) -> None:
    """Disburse on a registered pledge; withdraw the offer on a refused one."""
    loan = await uow.loans.get(command.loan_id)
    if loan is None:
        return
    now = _now()
    if command.registered and command.registration_number:
        loan.pledge_registered(
            command.registration_number,
            command.pledgee_uscc,
            set(command.rights),
            banks[loan.bank_id],
            now,
        )
    else:
        loan.pledge_refused(command.reasons, now)
    await uow.loans.save(loan)
    uow.track(loan)


async def _bank_loan(uow: CreditUnitOfWork, loan_id: str, bank: Bank) -> Loan:
    loan = await uow.loans.get(loan_id)
    if loan is None or loan.bank_id != bank.bank_id:
        raise LoanNotFound(loan_id)
    return loan
