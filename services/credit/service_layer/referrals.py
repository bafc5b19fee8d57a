"""Referrals: loans the policy could not decide alone, decided by a credit officer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from services.credit.domain.loan import Loan, LoanStatus
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.handlers import LoanNotFound, case_of
from services.credit.service_layer.unit_of_work import CreditUnitOfWork


class QuotaExhausted(Exception):
    """The bank's IP-loan quota cannot cover the amount."""


@dataclass(frozen=True)
class DecideReferral:
    loan_id: str
    outcome: str
    amount: Decimal | None
    reasons: tuple[str, ...]
    officer_id: str


async def list_referrals(
    uow: CreditUnitOfWork, bank_id: str | None = None, limit: int = 50, offset: int = 0
) -> list[Loan]:
    """One page of the loans waiting for a credit officer, oldest first."""
    waiting = await uow.loans.with_status(LoanStatus.REFERRED, bank_id)
    return waiting[offset : offset + limit]


async def decide_referral(command: DecideReferral, deps: CreditDeps, uow: CreditUnitOfWork) -> Loan:
    """The officer approves (reserving quota, making an offer) or declines a referred loan."""
    loan = await uow.loans.get(command.loan_id, for_update=True)
    if loan is None:
        raise LoanNotFound(command.loan_id)
    bank = deps.banks[loan.bank_id]
    with case_of(loan):
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
        uow.track(loan)
        await uow.commit()
    return loan
