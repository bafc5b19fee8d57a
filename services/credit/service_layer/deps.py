"""What credit's handlers need besides a unit of work: configuration, calendar and clock."""

from __future__ import annotations

from dataclasses import dataclass

from services.credit.domain.policy import Bank
from services.credit.domain.programmes import Programme
from services.credit.service_layer.banks import LendingConfig
from services.credit.service_layer.terms import LendingTerms
from shared.calendars import CalendarBook
from shared.kernel.clock import Clock
from shared.kernel.errors import Forbidden
from shared.workdays import OfficialCalendar


class NoLendingTerms(Forbidden):
    """A bank of the directory for which credit holds no lending terms."""

    code = "bank.no_lending_terms"
    title = "This bank has no lending terms"


@dataclass(frozen=True)
class CreditDeps:
    banks: dict[str, Bank]
    programmes: dict[str, Programme]
    calendar: OfficialCalendar
    clock: Clock
    book: CalendarBook
    terms: LendingTerms | None = None

    def __post_init__(self) -> None:
        if self.terms is None:
            terms = LendingTerms(LendingConfig(self.banks, self.programmes), None)
            object.__setattr__(self, "terms", terms)
        assert self.terms is not None and self.terms.banks is self.banks

    @property
    def lending_terms(self) -> LendingTerms:
        """The terms in force in this process (whose banks and programmes these are)."""
        assert self.terms is not None
        return self.terms

    def bank(self, bank_id: str) -> Bank:
        """The bank of that id; refused when credit does not know it."""
        bank = self.banks.get(bank_id)
        if bank is None:
            raise NoLendingTerms(bank_id)
        return bank

    def programme(self, name: str | None) -> Programme | None:
        """The programme of that name (None for none)."""
        return None if name is None else self.programmes[name]
