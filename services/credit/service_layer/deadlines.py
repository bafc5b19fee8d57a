"""Saga deadlines counted in working days on the official calendar (Asia/Shanghai)."""

from __future__ import annotations

from datetime import datetime

from shared.workdays import CountedDeadline, OfficialCalendar, count_deadline


def registration_due(
    requested_at: datetime, working_days: int, calendar: OfficialCalendar
) -> CountedDeadline:
    """End (24:00 Beijing) of the `working_days`-th working day after the filing was requested.

    A count through a year without its official schedule uses the statutory days off of the
    holiday regulations and is provisional until the schedule arrives from the registry.
    """
    return count_deadline(requested_at, working_days, calendar)
