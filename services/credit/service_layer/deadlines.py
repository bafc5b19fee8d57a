"""Saga deadlines counted in working days on the official calendar (Asia/Shanghai)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from shared.workdays import (
    CalendarYearNotLoaded,
    OfficialCalendar,
    beijing_date,
    deadline_for,
    end_of_beijing_day,
)

log = logging.getLogger(__name__)


def registration_due(
    requested_at: datetime, working_days: int, calendar: OfficialCalendar
) -> datetime:
    """End (24:00 Beijing) of the `working_days`-th working day after the filing was requested.

    For a year whose official schedule is not loaded, weekends alone are skipped and an
    operator warning is logged.
    """
    try:
        return deadline_for(requested_at, working_days, calendar)
    except CalendarYearNotLoaded as exc:
        log.warning(
            "official calendar not loaded; deadline counted on weekdays only",
            extra={"year": exc.year},
        )
        day, left = beijing_date(requested_at), working_days
        while left:
            day += timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        return end_of_beijing_day(day)
