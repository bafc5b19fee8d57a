"""Handlers of a disbursed loan's life: repayments, pledge release, default and impairment."""

from __future__ import annotations

import uuid
from datetime import UTC

from services.credit.domain.loan import Loan
from services.credit.service_layer.commands import (
    DeclareDefault,
    RecordImpairment,
    RecordPledgeCancelled,
    RecordRepayment,
)
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.handlers import bank_loan
from services.credit.service_layer.ports import CreditUnitOfWork


async def record_repayment(
    command: RecordRepayment, uow: CreditUnitOfWork, deps: CreditDeps
) -> Loan:
    """Record a repayment; the last one asks the registry to release the pledge."""
    bank = deps.bank(command.bank_id)
    loan = await bank_loan(uow, command.loan_id, bank, for_update=True)
    loan.record_repayment(
        str(uuid.uuid4()),
        command.amount,
        command.paid_at.astimezone(UTC),
        bank,
        deps.clock.now(),
    )
    await uow.loans.save(loan)
    return loan


async def declare_default(command: DeclareDefault, uow: CreditUnitOfWork, deps: CreditDeps) -> Loan:
    """Declare the borrower in default; the loss is claimed from the programme's parties."""
    loan = await bank_loan(uow, command.loan_id, deps.bank(command.bank_id), for_update=True)
    loan.declare_default(
        command.declared_at.astimezone(UTC),
        command.recovered_amount,
        deps.programme(loan.programme),
        deps.clock.now(),
    )
    await uow.loans.save(loan)
    return loan


async def record_pledge_cancelled(
    command: RecordPledgeCancelled, uow: CreditUnitOfWork, deps: CreditDeps
) -> None:
    """The registry cancelled a pledge: close the repaid loan."""
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


async def record_impairment(
    command: RecordImpairment, uow: CreditUnitOfWork, deps: CreditDeps
) -> None:
    """A pledged right lost value: alert the bank of a live loan."""
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
