"""Credit's origination handlers: application, valuation, decision, offer, pledge outcome.

Each runs in the unit of work the message bus opened for it and never commits.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from services.credit.domain.loan import Appraisal, Loan, LoanNotFound, LoanRuleViolation
from services.credit.domain.policy import Bank
from services.credit.service_layer.commands import (
    AcceptOffer,
    ApplyForLoan,
    GetLoan,
    ListLoans,
    RecordFilingReceived,
    RecordPledgeOutcome,
    RecordValuation,
)
from services.credit.service_layer.deadlines import registration_due
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.ports import CreditUnitOfWork
from shared.context import current_context
from shared.workdays import CountedDeadline

QUOTA_EXHAUSTED = "quota.exhausted"


async def apply_for_loan(command: ApplyForLoan, uow: CreditUnitOfWork, deps: CreditDeps) -> Loan:
    """Open a loan application; valuation is requested by its event."""
    if command.programme is not None and command.programme not in deps.programmes:
        raise LoanRuleViolation("programme.unknown", f"no programme {command.programme!r}")
    loan = Loan.apply(
        loan_id=str(uuid.uuid4()),
        bank=deps.bank(command.bank_id),
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
    await uow.loans.add(loan)
    return loan


async def accept_offer(command: AcceptOffer, uow: CreditUnitOfWork, deps: CreditDeps) -> Loan:
    """The bank accepts its offer; the pledge filing goes to the registry.

    An offer found lapsed is withdrawn (and that is kept) before the refusal is answered.
    """
    bank = deps.bank(command.bank_id)
    loan = await bank_loan(uow, command.loan_id, bank, for_update=True)

    def deadline(requested_at: datetime, working_days: int) -> CountedDeadline:
        return registration_due(requested_at, working_days, deps.calendar)

    try:
        loan.accept_offer(bank, deps.clock.now(), deadline)
    except LoanRuleViolation as refusal:
        if refusal.keep_changes:
            await uow.loans.save(loan)
        raise
    await uow.loans.save(loan)
    return loan


async def get_loan(query: GetLoan, uow: CreditUnitOfWork, deps: CreditDeps) -> Loan:
    """One of the bank's loans."""
    return await bank_loan(uow, query.loan_id, deps.bank(query.bank_id))


async def list_loans(
    query: ListLoans, uow: CreditUnitOfWork, deps: CreditDeps
) -> tuple[int, list[Loan]]:
    """One page of the bank's own loans, newest first."""
    return await uow.loans.list_for_bank(query.bank_id, query.limit, query.offset, query.status)


async def record_valuation(
    command: RecordValuation, uow: CreditUnitOfWork, deps: CreditDeps
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
    await uow.loans.save(loan)


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
    command: RecordPledgeOutcome, uow: CreditUnitOfWork, deps: CreditDeps
) -> None:
    """Disburse on a registered pledge; withdraw the offer on a refused one."""
    loan = await uow.loans.get(command.loan_id, for_update=True)
    if loan is None:
        return
    now = deps.clock.now()
    if command.filing_id is not None:
        loan.pledge_filed_as(command.filing_id)
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
        loan.pledge_refused(command.reasons, now, command.grounds)
    await uow.loans.save(loan)


async def record_filing_received(
    command: RecordFilingReceived, uow: CreditUnitOfWork, deps: CreditDeps
) -> None:
    """The registry received the loan's pledge filing: the loan shows its filing id."""
    loan = await uow.loans.get(command.loan_id, for_update=True)
    if loan is None:
        return
    loan.pledge_filed_as(command.filing_id)
    await uow.loans.save(loan)


async def bank_loan(
    uow: CreditUnitOfWork, loan_id: str, bank: Bank, *, for_update: bool = False
) -> Loan:
    """The loan if it is this bank's; `LoanNotFound` otherwise."""
    loan = await uow.loans.get(loan_id, for_update=for_update)
    if loan is None or loan.bank_id != bank.bank_id:
        raise LoanNotFound(f"no loan {loan_id}")
    return loan
