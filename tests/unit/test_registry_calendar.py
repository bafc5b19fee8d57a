"""Deadlines on the registry's calendar: firm in a year with a notice, provisional without."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.registry.domain.filing import Deadline
from services.registry.service_layer.deadlines import registration_deadline
from shared.holidays import provisional_days_off
from shared.workdays import BEIJING, OfficialCalendar


def test_a_year_without_schedule_counts_the_statutory_days_off_and_says_so() -> None:
    new_years_eve = datetime(2031, 12, 31, 10, tzinfo=BEIJING)
    deadline = registration_deadline(new_years_eve, False, OfficialCalendar())
    assert deadline == Deadline(datetime(2032, 1, 2, 16, tzinfo=UTC), True, {2032: 0})
    two_days = registration_deadline(new_years_eve, True, OfficialCalendar())
    assert two_days.at == datetime(2032, 1, 5, 16, tzinfo=UTC)


def test_a_loaded_year_gives_a_firm_deadline() -> None:
    calendar = OfficialCalendar()
    calendar.load_year(2032, [*provisional_days_off(2032), date(2032, 1, 2)], [], version=2)
    deadline = registration_deadline(datetime(2031, 12, 31, 10, tzinfo=BEIJING), False, calendar)
    assert deadline == Deadline(datetime(2032, 1, 5, 16, tzinfo=UTC), False, {2032: 2})
