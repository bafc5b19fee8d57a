"""Statutory deadlines on the official calendar."""

from __future__ import annotations

from datetime import datetime

from services.registry.domain.filing import Deadline
from shared.workdays import OfficialCalendar, count_deadline

PATENT_WORKING_DAYS = 1
TRADEMARK_WORKING_DAYS = 2


def registration_deadline(
    received_at: datetime, has_trademarks: bool, calendar: OfficialCalendar
) -> Deadline:
    """End of the 1st (patents) or 2nd (trademarks) working day after the day of receipt.

    A count that runs through a year without its official schedule uses the statutory days
    off of the holiday regulations and is marked provisional: the schedule, once loaded,
    counts it anew.
    """
    days = TRADEMARK_WORKING_DAYS if has_trademarks else PATENT_WORKING_DAYS
    counted = count_deadline(received_at, days, calendar)
    return Deadline(counted.at, counted.provisional, counted.basis)
