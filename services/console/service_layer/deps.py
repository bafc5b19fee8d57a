"""What the console's handlers are given once, at start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.console.domain.staff import StaffDirectory
from services.console.service_layer.ports import Services
from shared.banks import BankDirectory
from shared.calendars import CalendarBook
from shared.kernel.clock import Clock
from shared.workdays import OfficialCalendar


@dataclass(frozen=True)
class SessionPolicy:
    lifetime: timedelta
    idle: timedelta


@dataclass
class ConsoleDeps:
    services: Services
    staff: StaffDirectory
    banks: BankDirectory
    book: CalendarBook
    clock: Clock
    sessions: SessionPolicy

    @property
    def calendar(self) -> OfficialCalendar:
        return self.book.calendar
