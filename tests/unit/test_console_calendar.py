"""The console warns when the official calendar it counts working time on lacks a year: in its
`/readyz`, in a daily log line, and on the pages where staff read working time left."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.console.settings import ConsoleSettings
from shared.holidays import provisional_days_off
from shared.topics import REGISTRY_CALENDAR
from tests.dates import beijing
from tests.unit.console_harness import Console, console, envelope, migrated_template
from tests.unit.test_console_pages import queue_filing

__all__ = ["console"]

BANNER = "Official calendar for 2027 not loaded"


def year_published(year: int) -> dict[str, object]:
    return {
        "year": year,
        "version": 1,
        "holidays": sorted(d.isoformat() for d in provisional_days_off(year)),
        "makeup_workdays": [],
        "notice_reference": f"国办发明电〔{year - 1}〕9号",
        "notice_published_on": f"{year - 1}-11-12",
        "entered_by": "supervisor-wang",
        "entered_at": datetime(year - 1, 11, 20, 2, tzinfo=UTC).isoformat(),
    }


async def warnings_of(console: Console) -> dict[str, str]:
    ready = await console.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    found: dict[str, str] = ready.json().get("warnings", {})
    return found


async def page_text(console: Console, path: str) -> str:
    response = await console.client.get(path)
    assert response.status_code == 200, response.text
    return response.text


async def test_in_december_without_next_years_calendar_staff_see_it_and_readyz_warns(
    console: Console,
) -> None:
    console.clock.set(beijing(2026, 12, 3, 10))
    await queue_filing(console, deadline_at="2026-12-31T08:00:00+00:00")

    warnings = await warnings_of(console)
    assert list(warnings) == ["calendar.2027"]
    assert "pledgeflow calendar load 2027 2027.yaml" in warnings["calendar.2027"]

    await console.sign_in("examiner-li")
    desk = await console.until(lambda: _with(console, "/desk", "f-0001"))
    assert BANNER in desk
    assert "reaches past 31 December 2026 is provisional" in desk
    assert "A supervisor or administrator loads it" in desk
    assert "<code>pledgeflow calendar load</code>" in desk
    assert "--token" not in desk, "an examiner is not shown a command they may not run"

    await console.sign_in("supervisor-wang")
    board = await page_text(console, "/sla")
    assert BANNER in board
    assert (
        "pledgeflow calendar load 2027 2027.yaml --token "
        "&#34;$(pledgeflow credentials issue supervisor-wang supervisor --audience registry)&#34;"
    ) in board
    assert BANNER in await page_text(console, "/desk")

    await console.sign_in("admin-chen")
    assert "issue admin-chen administrator --audience registry" in await page_text(console, "/sla")

    published = envelope("registry.calendar.year_published", "2027", year_published(2027))
    await console.publish(REGISTRY_CALENDAR, published)
    await console.until(lambda: _without(console, "/sla", BANNER))
    assert await warnings_of(console) == {}


async def test_in_june_with_this_years_calendar_there_is_no_banner_and_no_warning(
    console: Console,
) -> None:
    console.clock.set(beijing(2026, 6, 15, 10))
    await queue_filing(console, deadline_at="2026-06-16T08:00:00+00:00")
    assert await warnings_of(console) == {}
    await console.sign_in("supervisor-wang")
    desk = await console.until(lambda: _with(console, "/desk", "f-0001"))
    assert "Official calendar for" not in desk
    assert "Official calendar for" not in await page_text(console, "/sla")


async def test_a_missing_current_year_is_shown_at_any_time_of_the_year(console: Console) -> None:
    console.clock.set(beijing(2027, 3, 2, 10))
    assert list(await warnings_of(console)) == ["calendar.2027"]
    await console.sign_in("operator-liu")
    board = await page_text(console, "/sla")
    assert BANNER in board and "A supervisor or administrator loads it" in board


@pytest.fixture
async def warned_from_mid_november(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Console]:
    await migrated_template(tmp_path_factory)
    running = Console(tmp_path, start=beijing(2026, 11, 20, 9), calendar_warn_from="11-15")
    async with running.app.router.lifespan_context(running.app), running.client:
        yield running


def _missing_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # The console logs at start (while the fixture sets it up) and then from its worker.
    records = caplog.get_records("setup") + caplog.records
    return [
        r for r in records if r.name == "shared.calendars" and "schedule missing" in r.getMessage()
    ]


@pytest.fixture
def calendar_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="shared.calendars")
    return caplog


async def test_the_consoles_warning_day_is_a_setting_and_the_missing_year_is_logged_daily(
    calendar_log: pytest.LogCaptureFixture, warned_from_mid_november: Console
) -> None:
    console = warned_from_mid_november
    assert list(await warnings_of(console)) == ["calendar.2027"]
    [logged] = _missing_logged(calendar_log)
    assert "pledgeflow calendar load 2027 2027.yaml" in logged.getMessage()

    book = console.app.state.deps.book
    console.clock.advance(timedelta(hours=8))
    book.wake()
    console.clock.advance(timedelta(hours=8))
    book.wake()
    await console.until(lambda: len(_missing_logged(calendar_log)) == 2)
    assert len(_missing_logged(calendar_log)) == 2, "once for 20 November, once for the 21st"


def test_the_warning_day_is_validated_as_the_services_do() -> None:
    assert ConsoleSettings().calendar_warn_from == "12-01"
    for value in ("13-01", "12-32", "December"):
        with pytest.raises(ValidationError):
            ConsoleSettings(calendar_warn_from=value)


async def _with(console: Console, path: str, *texts: str) -> str | None:
    found = (await console.client.get(path)).text
    return found if all(text in found for text in texts) else None


async def _without(console: Console, path: str, text: str) -> bool:
    return text not in (await console.client.get(path)).text
