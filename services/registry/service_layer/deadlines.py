"""Statutory deadlines on the official calendar."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from services.registry.domain.filing import Deadline
from shared.workdays import (
    CalendarYearNotLoaded,
    OfficialCalendar,
    beijing_date,
    deadline_for,
    end_of_beijing_day,
)

log = logging.getLogger(__name__)

PATENT_WORKING_DAYS = 1
TRADEMARK_WORKING_DAYS = 2


def registration_deadline(
    received_at: datetime, has_trademarks: bool, calendar: OfficialCalendar
) -> Deadline:
    """End of the 1st (patents) or 2nd (trademarks) working day after the day of receipt.

    For a year whose official schedule is not loaded yet, weekends alone are skipped and an
    operator warning is logged, so filings are never turned away for want of a calendar; such
    a deadline is marked provisional.
    """
    days = TRADEMARK_WORKING_DAYS if has_trademarks else PATENT_WORKING_DAYS
    try:
        return Deadline(deadline_for(received_at, days, calendar))
    except CalendarYearNotLoaded as exc:
        log.warning(
            "official calendar not loaded; deadline counted on weekdays only",
            extra={"year": exc.year},
        )
        day = beijing_date(received_at)
        while days:
            day += timedelta(days=1)
            if day.weekday() < 5:
                days -= 1
        return Deadline(end_of_beijing_day(day), provisional=True)
