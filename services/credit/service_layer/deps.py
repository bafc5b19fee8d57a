"""What the use cases need besides a unit of work: configuration, calendar and clock."""

from __future__ import annotations

from dataclasses import dataclass

from services.credit.domain.policy import Bank
from services.credit.domain.programmes import Programme
from services.credit.service_layer.clock import Clock
from shared.workdays import OfficialCalendar


@dataclass(frozen=True)
class CreditDeps:
    banks: dict[str, Bank]
    programmes: dict[str, Programme]
    calendar: OfficialCalendar
    clock: Clock

    def programme(self, name: str | None) -> Programme | None:
        """The programme of that name (None for none)."""
        return None if name is None else self.programmes[name]
