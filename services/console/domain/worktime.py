"""Working time left before a deadline, counted on the official calendar in Beijing time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.workdays import OfficialCalendar, beijing_date, end_of_beijing_day

_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class TimeLeft:
    """Whole working days after today up to the deadline, and the hours left of today (a
    working day); or, past the deadline, the working days it has been overdue."""

    overdue: bool
    working_days: int
    hours_today: int
    due_today: bool

    @property
    def text(self) -> str:
        if self.overdue:
            if self.working_days == 0:
                return "overdue since today"
            return f"overdue by {_days(self.working_days)}"
        if self.due_today:
            return f"due today, {self.hours_today} h left"
        if self.hours_today:
            return f"{_days(self.working_days)} and {self.hours_today} h left"
        return f"{_days(self.working_days)} left"


def time_left(now: datetime, deadline: datetime, calendar: OfficialCalendar) -> TimeLeft:
    """What is left of a deadline that ends a Beijing day (24:00), seen at `now`."""
    today = beijing_date(now)
    due_day = beijing_date(deadline - _INSTANT)
    if now >= deadline:
        late = calendar.working_days_between(due_day, today) if today > due_day else 0
        return TimeLeft(True, late, 0, False)
    hours = 0
    if calendar.is_working_day(today):
        hours = max(1, int((end_of_beijing_day(today) - now).total_seconds() // 3600))
    days = calendar.working_days_between(today, due_day)
    return TimeLeft(False, days, hours, due_day == today)


def _days(count: int) -> str:
    return f"{count} working day" + ("" if count == 1 else "s")
