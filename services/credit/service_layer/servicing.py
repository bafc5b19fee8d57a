"""Use cases of a disbursed loan: repayments, pledge release, default and impairment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from services.credit.domain.loan import Loan
from services.credit.domain.policy import Bank
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.handlers import bank_loan, case_of
from services.credit.service_layer.unit_of_work import CreditUnitOfWork


@dataclass(frozen=True)
class RecordRepayment:
    loan_id: str
    amount: Decimal
    paid_at: datetime


@dataclass(frozen=True)
class DeclareDefault:
    loan_id: str
    declared_at: datetime
    recovered_amount: Decimal


@dataclass(frozen=True)
class RecordPledgeCancelled:
    registration_number: str
    filing_reference: str | None
    reason: str
    cancelled_at: datetime


@dataclass(frozen=True)
class RecordImpairment:
    loan_id: str
    right_number: str
    reason: str
    previous_central: Decimal
    new_central: Decimal
    valuation_id: str


async def record_repayment(
    command: RecordRepayment, bank: Bank, deps: CreditDeps, uow: CreditUnitOfWork
) -> Loan:
    """Record a repayment; the last one asks the registry to release the pledge."""
    loan = await bank_loan(uow, command.loan_id, bank, for_update=True)
    with case_of(loan):
        loan.record_repayment(
            str(uuid.uuid4()),
            command.amount,
            command.paid_at.astimezone(UTC),
            bank,
            deps.clock.now(),
        )
        await _commit(uow, loan)
    return loan


async def declare_default(
    command: DeclareDefault, bank: Bank, deps: CreditDeps, uow: CreditUnitOfWork
) -> Loan:
    """Declare the borrower in default; the loss is claimed from the programme's parties."""
    loan = await bank_loan(uow, command.loan_id, bank, for_update=True)
    with case_of(loan):
        loan.declare_default(
            command.declared_at.astimezone(UTC),
            command.recovered_amount,
            deps.programme(loan.programme),
            deps.clock.now(),
        )
        await _commit(uow, loan)
    return loan


async def record_pledge_cancelled(
    command: RecordPledgeCancelled, deps: CreditDeps, uow: CreditUnitOfWork
) -> None:
    """The registry cancelled a pledge: close the repaid loan (in the event's transaction)."""
    loan = None
    if command.filing_reference:
        loan = await uow.loans.get(command.filing_reference, for_update=True)
    if loan is None:
        loan = await uow.loans.by_registration_number(command.registration_number)
    if loan is None:
        return
    loan.pledge_cancelled(
        command.registration_number,
        command.reason,
        command.cancelled_at.astimezone(UTC),
        deps.clock.now(),
    )
    await uow.loans.save(loan)
    uow.track(loan)


async def record_impairment(
    command: RecordImpairment, deps: CreditDeps, uow: CreditUnitOfWork
) -> None:
    """A pledged right lost value: alert the bank of a live loan (in the event's transaction)."""
    loan = await uow.loans.get(command.loan_id, for_update=True)
    if loan is None:
        return
    loan.record_impairment(
        command.right_number,
        command.reason,
        command.previous_central,
        command.new_central,
        command.valuation_id,
        deps.banks[loan.bank_id],
        deps.clock.now(),
    )
    await uow.loans.save(loan)
    uow.track(loan)


async def _commit(uow: CreditUnitOfWork, loan: Loan) -> None:
    await uow.loans.save(loan)
    uow.track(loan)
    await uow.commit()
