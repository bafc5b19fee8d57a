"""What the registry's handlers need besides a unit of work: the calendar and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from shared.calendars import CalendarBook
from shared.kernel.clock import Clock
from shared.workdays import OfficialCalendar


@dataclass(frozen=True)
class RegistryDeps:
    calendar: OfficialCalendar
    book: CalendarBook
    clock: Clock
