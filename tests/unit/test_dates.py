"""The test clock's helpers: where PLEDGEFLOW_TEST_TODAY moves a session, and year arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.dates import moved_clock_destination, shift_years


def test_a_moved_day_starts_at_ten_in_beijing() -> None:
    assert moved_clock_destination("2028-12-01") == datetime(2028, 12, 1, 2, 0, tzinfo=UTC)


def test_a_moved_instant_keeps_its_offset() -> None:
    early_eve = moved_clock_destination("2027-02-05T07:30:00+08:00")
    assert early_eve == datetime(2027, 2, 4, 23, 30, tzinfo=UTC)


def test_a_moved_instant_needs_an_offset() -> None:
    with pytest.raises(ValueError, match="offset"):
        moved_clock_destination("2027-02-05T07:30:00")


def test_years_shift_leap_day_to_the_28th() -> None:
    assert shift_years(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert shift_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert shift_years(date(2026, 11, 30), -6) == date(2020, 11, 30)
