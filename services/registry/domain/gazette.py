"""Entries of the public register and gazette: registrations, changes and cancellations."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from services.registry.domain.filing import Party
from services.registry.domain.pledge import PledgeFiling
from services.registry.domain.register import Patent


class EntryType(enum.StrEnum):
    REGISTRATION = "registration"
    CHANGE = "change"
    CANCELLATION = "cancellation"


@dataclass(frozen=True)
class RegisterEntry:
    """One right's line in the gazette for one registration, change or cancellation."""

    entry_type: EntryType
    registration_number: str
    filing_id: str
    right_number: str
    right_kind: str
    main_ipc: str | None
    grant_date: date | None
    pledgor: Party
    pledgee: Party
    registration_date: date
    entered_at: datetime
    reason: str | None = None
    changed: tuple[str, ...] = ()


def entries_for(
    filing: PledgeFiling,
    entry_type: EntryType,
    entered_at: datetime,
    registration_date: date,
    patents: Mapping[str, Patent],
) -> list[RegisterEntry]:
    """The gazette lines of a pledge's registration, latest change or cancellation."""
    assert filing.registration_number is not None
    latest = filing.amendments[-1] if entry_type is not EntryType.REGISTRATION else None
    rights: list[tuple[str, str, Patent | None]] = [
        (number, "patent", patents.get(number)) for number in filing.data.patents
    ]
    rights += [(number, "trademark", None) for number in filing.data.trademarks]
    return [
        RegisterEntry(
            entry_type=entry_type,
            registration_number=filing.registration_number,
            filing_id=filing.filing_id,
            right_number=number,
            right_kind=kind,
            main_ipc=(patent.main_ipc or None) if patent else None,
            grant_date=patent.grant_date if patent else None,
            pledgor=filing.data.pledgor,
            pledgee=filing.data.pledgee,
            registration_date=registration_date,
            entered_at=entered_at,
            reason=latest.reason if latest else None,
            changed=latest.changed if latest else (),
        )
        for number, kind, patent in rights
    ]
