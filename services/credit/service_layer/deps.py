"""What credit's handlers need besides a unit of work: configuration, calendar and clock."""

from __future__ import annotations

from dataclasses import dataclass

from services.credit.domain.policy import Bank
from services.credit.domain.programmes import Programme
from shared.kernel.clock import Clock
from shared.kernel.errors import Forbidden
from shared.workdays import OfficialCalendar


class UnknownBank(Forbidden):
    """A credential names a bank credit does not lend for."""

    code = "bank.unknown"
    title = "Unknown bank"


@dataclass(frozen=True)
class CreditDeps:
    banks: dict[str, Bank]
    programmes: dict[str, Programme]
    calendar: OfficialCalendar
    clock: Clock

    def bank(self, bank_id: str) -> Bank:
        """The bank of that id; refused when credit does not know it."""
        bank = self.banks.get(bank_id)
        if bank is None:
            raise UnknownBank(f"no bank {bank_id!r}")
        return bank

    def programme(self, name: str | None) -> Programme | None:
        """The programme of that name (None for none)."""
        return None if name is None else self.programmes[name]
