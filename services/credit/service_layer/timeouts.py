"""Durable saga deadlines: find the due ones and fire each in its loan's own transaction."""

from __future__ import annotations

from services.credit.domain.records import TimeoutKind
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.handlers import case_of
from services.credit.service_layer.unit_of_work import CreditUnitOfWork


async def loans_with_due_timeouts(
    deps: CreditDeps, uow: CreditUnitOfWork, limit: int = 100
) -> list[str]:
    """Loans with a deadline that has come and not fired yet."""
    return await uow.loans.with_due_timeouts(deps.clock.now(), limit)


async def fire_timeouts(loan_id: str, deps: CreditDeps, uow: CreditUnitOfWork) -> list[TimeoutKind]:
    """Fire a loan's due deadlines: the offer is withdrawn and its quota released."""
    loan = await uow.loans.get(loan_id, for_update=True)
    if loan is None:
        return []
    with case_of(loan):
        fired = loan.fire_due_timeouts(deps.clock.now())
        await uow.loans.save(loan)
        uow.track(loan)
        await uow.commit()
    return fired


async def sync_quotas(deps: CreditDeps, uow: CreditUnitOfWork) -> None:
    """Make each bank's configured quota total the one in force."""
    for bank in deps.banks.values():
        await uow.quotas.set_total(bank.bank_id, bank.quota_total)
    await uow.commit()
