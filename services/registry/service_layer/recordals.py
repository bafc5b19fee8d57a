"""Transfers and licences of patents, recorded only with the pledgee's consent while pledged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.registry.domain.recordal import LicenceType, Recordal, RecordalKind
from services.registry.domain.register import Holder
from services.registry.service_layer.deps import RegistryDeps
from services.registry.service_layer.errors import RightNotFound
from services.registry.service_layer.ports import RegistryUnitOfWork
from shared.kernel.messages import Command


@dataclass(frozen=True)
class RecordDisposal(Command):
    kind: RecordalKind
    patent_number: str
    parties: tuple[Holder, ...]
    pledgee_consent: bool
    at: datetime
    licence_type: LicenceType | None = None


async def record_disposal(
    command: RecordDisposal, uow: RegistryUnitOfWork, deps: RegistryDeps
) -> Recordal:
    """Record a transfer or licence; a transfer changes the holders on the register."""
    number = command.patent_number
    patent = (await uow.register.patents((number,))).get(number)
    if patent is None:
        raise RightNotFound(number)
    pledged_under = (await uow.filings.active_pledges((number,))).get(number)
    recordal = Recordal(
        recordal_id=str(uuid.uuid4()),
        kind=command.kind,
        right_number=number,
        parties=command.parties,
        pledgee_consent=command.pledgee_consent,
        recorded_at=command.at,
        pledge_registration_number=pledged_under,
        licence_type=command.licence_type,
    )
    await uow.recordals.add(recordal)
    if command.kind is RecordalKind.TRANSFER:
        entry = await uow.register.entry(number, "patent")
        entry.enter(recordal.apply_to(patent))
        await uow.register.save_entry(entry)
    return recordal
