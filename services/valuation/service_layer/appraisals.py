"""Appraiser sign-off: provisional valuations are approved or adjusted, then published.

Each handler runs in the unit of work the message bus opened for it and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.valuation.domain.records import SignOffRecord
from services.valuation.domain.valuation import Valuation, ValuationNotFound
from services.valuation.service_layer.commands import GetAppraisal, PendingSignOffs, SignOff
from services.valuation.service_layer.deps import ValuationDeps
from services.valuation.service_layer.ports import ValuationUnitOfWork
from shared.kernel.errors import Invalid


class UnknownCursor(Invalid):
    """A page cursor that names no valuation."""

    code = "cursor.unknown"
    title = "Unknown cursor"


@dataclass(frozen=True)
class PendingPage:
    """One page of valuations waiting for sign-off; `next_cursor` is None on the last page."""

    items: list[Valuation]
    next_cursor: str | None


async def pending_signoffs(
    query: PendingSignOffs, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> PendingPage:
    """Provisional valuations waiting for an appraiser, oldest first."""
    if query.after is not None and await uow.valuations.get(query.after) is None:
        raise UnknownCursor(f"no valuation {query.after}")
    found = await uow.valuations.pending(query.limit + 1, query.after)
    items = found[: query.limit]
    more = len(found) > query.limit
    return PendingPage(items, items[-1].valuation_id if more else None)


async def get_appraisal(
    query: GetAppraisal, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> Valuation:
    """Any valuation with its sign-off, for appraisers."""
    valuation = await uow.valuations.get(query.valuation_id)
    if valuation is None:
        raise ValuationNotFound(f"no valuation {query.valuation_id}")
    return valuation


async def sign_off(
    command: SignOff, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> SignOffRecord:
    """Approve or adjust a provisional valuation; `valuation.signed_off` is published."""
    valuation = await get_appraisal(GetAppraisal(command.valuation_id), uow, deps)
    signoff = valuation.sign_off(
        command.appraiser_id, command.reason, command.adjusted, deps.clock.now()
    )
    await uow.valuations.save(valuation)
    return signoff
