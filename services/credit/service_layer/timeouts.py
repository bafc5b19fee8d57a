"""Durable saga deadlines: find the due ones and fire each in its loan's own transaction."""

from __future__ import annotations

from services.credit.domain.records import TimeoutKind
from services.credit.service_layer.commands import DueTimeouts, FireTimeouts
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.ports import CreditUnitOfWork


async def due_timeouts(query: DueTimeouts, uow: CreditUnitOfWork, deps: CreditDeps) -> list[str]:
    """Loans with a deadline that has come and not fired yet."""
    return await uow.loans.with_due_timeouts(deps.clock.now(), query.limit)


async def fire_timeouts(
    command: FireTimeouts, uow: CreditUnitOfWork, deps: CreditDeps
) -> list[TimeoutKind]:
    """Fire a loan's due deadlines: the offer is withdrawn and its quota released."""
    loan = await uow.loans.get(command.loan_id, for_update=True)
    if loan is None:
        return []
    fired = loan.fire_due_timeouts(deps.clock.now())
    await uow.loans.save(loan)
    return fired
