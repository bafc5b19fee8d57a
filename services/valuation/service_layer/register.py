"""The register read model: rights as the registry's events describe them.

Each handler runs in the unit of work the message bus opened for it and never commits.
"""

from __future__ import annotations

from services.valuation.domain.records import PATENT, TRADEMARK, RegisteredRight, RightRef
from services.valuation.service_layer import revaluation
from services.valuation.service_layer.commands import GetRight, RecordRight
from services.valuation.service_layer.deps import ValuationDeps
from services.valuation.service_layer.ports import ValuationUnitOfWork
from shared.identifiers import InvalidIdentifier
from shared.kernel.errors import NotFound


class RightNotFound(NotFound):
    """The register read model has no such right."""

    code = "right.not_found"
    title = "Right not found"


async def record_right(command: RecordRight, uow: ValuationUnitOfWork, deps: ValuationDeps) -> None:
    """Update the read model from a registry event; an older version than stored is ignored.

    A right that changed is reviewed for the loans it backs.
    """
    right = RegisteredRight(
        number=command.number,
        right_type=command.right_type,
        kind=command.kind,
        filing_date=command.filing_date,
        grant_date=command.grant_date,
        expiry_date=command.expiry_date,
        legal_status=command.legal_status,
        frozen=command.frozen,
        invalidation_pending=command.invalidation_pending,
        main_ipc=command.main_ipc,
        nice_class=command.nice_class,
        holder_usccs=command.holder_usccs,
        source_event_version=command.source_event_version,
        updated_at=deps.clock.now(),
    )
    if await uow.rights.upsert(right):
        await revaluation.review_pledged_right(right, uow, deps)


async def get_right(
    query: GetRight, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> RegisteredRight:
    """A right of the register read model, named in any form the register accepts."""
    right = await uow.rights.get(_register_number(query.number))
    if right is None:
        raise RightNotFound(f"no right {query.number}")
    return right


def _register_number(number: str) -> str:
    for right_type in (PATENT, TRADEMARK):
        try:
            return RightRef(right_type, number).canonical().number
        except InvalidIdentifier:
            continue
    return number
