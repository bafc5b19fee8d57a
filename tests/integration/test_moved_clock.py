"""The tests whose data depend on today still pass on other days: two years on, at the 2027
Spring Festival eve, a year the calendar library does not know yet (deadlines counted then are
provisional), and in a UTC evening, when Beijing's date is already the next day's.

Each day runs the date-sensitive tests in a pytest subprocess whose clock is moved with
PLEDGEFLOW_TEST_TODAY (see tests/conftest.py); the service processes of tests/e2e are left out.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.dates import MOVED_TODAY_VARIABLE, moved_clock_destination, shift_years, today

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
SPRING_FESTIVAL_EVE_2027_EARLY = "2027-02-05T07:30:00+08:00"  # still 4 February in UTC
DATE_SENSITIVE = [
    "tests/integration/test_moved_clock.py::test_a_moved_session_runs_on_the_given_day",
    "tests/unit/test_valuation_service.py::test_application_is_valued_from_the_register_read_model",
    "tests/unit/test_valuation_service.py::"
    "test_trademark_statuses_are_mapped_and_registered_marks_are_valued",
    "tests/unit/test_valuation_signoff.py::"
    "test_large_valuation_is_provisional_until_an_appraiser_approves",
    "tests/unit/test_valuation_impairment.py::test_a_term_nearing_its_end_impairs_the_loan",
    "tests/integration/test_registry_service.py::test_a_clean_filing_is_registered_at_once",
    "tests/integration/test_registry_service.py::"
    "test_a_filing_requested_by_credit_is_filed_on_the_credit_channel",
    "tests/unit/test_registry_filings_api.py::"
    "test_a_bank_sees_only_its_own_filings_and_files_only_as_pledgee",
    "tests/unit/test_registry_desk_api.py::test_the_filing_views_show_the_whole_contract",
    "tests/unit/test_registry_pledges_api.py::test_a_change_answers_with_the_pledges_new_terms",
    "tests/unit/test_registry_register_api.py::test_every_entry_is_listed_newest_first",
    "tests/integration/test_credit_service.py::test_a_loan_runs_from_valuation_to_disbursement",
    "tests/integration/test_credit_saga.py::"
    "test_a_pledge_registered_after_the_deadline_is_released_as_void",
    "tests/integration/test_valuation_service.py::"
    "test_provisional_valuation_is_adjusted_and_reproducible",
    "tests/unit/test_register_contradictions.py::"
    "test_a_contradictory_patent_is_refused_with_its_code[granted tomorrow]",
]


def test_a_moved_session_runs_on_the_given_day() -> None:
    moved_to = os.environ.get(MOVED_TODAY_VARIABLE)
    if not moved_to:
        pytest.skip(f"runs in the sessions that set {MOVED_TODAY_VARIABLE}")
    started = moved_clock_destination(moved_to)
    assert started <= datetime.now(UTC) < started + timedelta(minutes=10)
    assert date.today() == datetime.now().date()


@pytest.mark.skipif(bool(os.environ.get(MOVED_TODAY_VARIABLE)), reason="already on a moved clock")
async def test_the_date_sensitive_tests_pass_two_years_on_and_at_spring_festival() -> None:
    days = {
        "two years on": shift_years(today(), 2).isoformat(),
        "Spring Festival eve": SPRING_FESTIVAL_EVE_2027_EARLY,
        # 02:00 in Beijing: the services' date is already the next day's.
        "an evening in UTC": f"{shift_years(today(), 2).isoformat()}T18:00:00+00:00",
    }
    outcomes = await asyncio.gather(*(_pytest_on(day) for day in days.values()))
    for (label, day), (returncode, output) in zip(days.items(), outcomes, strict=True):
        summary = output.strip().splitlines()[-1] if output.strip() else ""
        assert returncode == 0, f"on {label} ({day}):\n{output[-4000:]}"
        assert f"{len(DATE_SENSITIVE)} passed" in summary, f"on {label}: {summary}"
        assert "skipped" not in summary, f"on {label}: {summary}"


async def _pytest_on(day: str) -> tuple[int, str]:
    """Run the date-sensitive tests in a pytest session whose clock starts on `day`."""
    run = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *DATE_SENSITIVE),
        cwd=ROOT,
        env=os.environ | {MOVED_TODAY_VARIABLE: day},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(run.communicate(), timeout=600)
    finally:
        if run.returncode is None:
            run.kill()
            await run.wait()
    assert run.returncode is not None
    return run.returncode, output.decode(errors="replace")
