"""Referrals: loans the policy could not decide alone, decided by a credit officer."""

from __future__ import annotations

from dataclasses import replace

from services.credit.domain.loan import Loan, LoanNotFound, LoanStatus
from services.credit.service_layer.commands import DecideReferral, ListReferrals
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.ports import CreditUnitOfWork
from shared.kernel.errors import Conflict


class QuotaExhausted(Conflict):
    """The bank's IP-loan quota cannot cover the amount."""

    code = "quota.exhausted"
    title = "The bank's quota is exhausted"


async def list_referrals(
    query: ListReferrals, uow: CreditUnitOfWork, deps: CreditDeps
) -> list[Loan]:
    """One page of the loans waiting for a credit officer, oldest first."""
    waiting = await uow.loans.with_status(LoanStatus.REFERRED, query.bank_id)
    return waiting[query.offset : query.offset + query.limit]


async def decide_referral(command: DecideReferral, uow: CreditUnitOfWork, deps: CreditDeps) -> Loan:
    """The officer approves (reserving quota, making an offer) or declines a referred loan."""
    loan = await uow.loans.get(command.loan_id, for_update=True)
    if loan is None:
        raise LoanNotFound(f"no loan {command.loan_id}")
    bank = deps.banks[loan.bank_id]
    decision = loan.officer_decision(
        bank,
        deps.programme(loan.programme),
        command.outcome,
        command.amount,
        command.reasons,
        command.officer_id,
    )
    if decision.outcome == "approve":
        amount = decision.approved_amount
        if not await uow.quotas.reserve(bank.bank_id, bank.quota_total, amount):
            raise QuotaExhausted(f"{bank.bank_id} cannot lend {amount} more")
        decision = replace(decision, inputs=decision.inputs | {"quota": "reserved"})
    policy = bank.policy_version(decision.policy_version)
    loan.record_decision(decision, policy, deps.clock.now())
    await uow.loans.save(loan)
    return loan
