"""Recordal of a patent's transfer or licence, barred by a pledge unless the pledgee consents."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from services.registry.domain.errors import PledgedWithoutConsent
from services.registry.domain.register import Holder, Patent


class RecordalKind(enum.StrEnum):
    TRANSFER = "transfer"
    LICENCE = "licence"


class LicenceType(enum.StrEnum):
    EXCLUSIVE = "exclusive"
    SOLE = "sole"
    ORDINARY = "ordinary"


@dataclass(frozen=True)
class Recordal:
    """A transfer (to assignees) or licence (to licensees) entered against a patent."""

    recordal_id: str
    kind: RecordalKind
    right_number: str
    parties: tuple[Holder, ...]
    pledgee_consent: bool
    recorded_at: datetime
    pledge_registration_number: str | None = None
    licence_type: LicenceType | None = None

    def __post_init__(self) -> None:
        if not self.parties:
            raise ValueError(f"a {self.kind.value} names at least one party")
        if self.pledge_registration_number is not None and not self.pledgee_consent:
            raise PledgedWithoutConsent(
                f"{self.right_number} is pledged under {self.pledge_registration_number}; "
                f"a {self.kind.value} needs the pledgee's consent (Civil Code art. 444)"
            )

    def apply_to(self, patent: Patent) -> Patent:
        """The patent's entry after the recordal: a transfer makes the assignees its holders."""
        if self.kind is RecordalKind.TRANSFER:
            return replace(patent, holders=self.parties)
        return patent
