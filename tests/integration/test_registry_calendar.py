"""The official calendar entered without a release, and the deadlines counted on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared.workdays import BEIJING
from tests.conftest import MakeDatabase
from tests.integration.conftest import Running, at, eventually, running
from tests.integration.test_registry_service import file, filing, instant, put_patent

pytestmark = pytest.mark.postgres

QINGMING_2031 = [date(2031, 4, 5), date(2031, 4, 6), date(2031, 4, 7)]
NATIONAL_DAY_2031 = [date(2031, 10, 1) + timedelta(days=i) for i in range(7)]
MAKEUP_2031 = [date(2031, 9, 27), date(2031, 10, 11)]
SCHEDULE_2031 = {
    "holidays": [d.isoformat() for d in QINGMING_2031 + NATIONAL_DAY_2031],
    "makeup_workdays": [d.isoformat() for d in MAKEUP_2031],
}
LONG_LIVED = {"fees_paid_through": "2036-12-31"}
DEBT_DUE = "2035-06-30"

Settings = Callable[..., Awaitable[RegistrySettings]]


@pytest.fixture
def settings(make_database: MakeDatabase) -> Settings:
    async def make(url: str | None = None, **changes: Any) -> RegistrySettings:
        return RegistrySettings(
            environment="test",
            database_url=url or await make_database("registry"),
            kafka_bootstrap_servers="memory://",
            http_port=0,
            outbox_poll_interval=0.05,
            **changes,
        )

    return make


def beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def end_of_beijing(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), BEIJING).astimezone(UTC)


async def filed_at(service: Running, moment: datetime) -> dict[str, Any]:
    at(service, moment)
    patent = await put_patent(service, **LONG_LIVED)
    response = await file(service, filing(patent, performance_deadline=DEBT_DUE))
    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["status"] == "registered", filed["findings"]
    return filed


async def put_year(service: Running, year: int, body: dict[str, Any]) -> Any:
    return await service.client.put(f"/internal/v1/calendar/{year}", json=body)


async def test_a_year_entered_lists_its_exceptional_days(settings: Settings) -> None:
    async with running(create_app, await settings()) as registry:
        response = await put_year(registry, 2031, SCHEDULE_2031)
        listed = await registry.client.get("/internal/v1/calendar/2031")

    assert response.status_code == 200, response.text
    assert listed.json() == response.json()
    year = response.json()
    assert year["source"] == "official_notice"
    weekday_holidays = [d for d in QINGMING_2031 + NATIONAL_DAY_2031 if d.weekday() < 5]
    assert year["non_working_weekdays"] == [d.isoformat() for d in weekday_holidays]
    assert year["working_weekend_days"] == [d.isoformat() for d in MAKEUP_2031]


async def test_library_years_are_listed_and_unknown_years_are_not(settings: Settings) -> None:
    async with running(create_app, await settings()) as registry:
        library = (await registry.client.get("/internal/v1/calendar/2025")).json()
        unknown = await registry.client.get("/internal/v1/calendar/2033")

    assert library["source"] == "library"
    assert "2025-10-01" in library["non_working_weekdays"]
    assert library["working_weekend_days"][-2:] == ["2025-09-28", "2025-10-11"]
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "calendar.year_not_loaded"


@pytest.mark.parametrize(
    "body",
    [
        {"holidays": ["2030-12-31"], "makeup_workdays": []},
        {"holidays": ["2031-10-01"], "makeup_workdays": ["2031-10-01"]},
        {"holidays": [], "makeup_workdays": ["2031-09-26"]},
    ],
    ids=["outside-the-year", "listed-twice", "makeup-on-a-weekday"],
)
async def test_an_inconsistent_schedule_is_rejected(
    settings: Settings, body: dict[str, Any]
) -> None:
    async with running(create_app, await settings()) as registry:
        response = await put_year(registry, 2031, body)
        unknown = await registry.client.get("/internal/v1/calendar/2031")

    assert response.status_code == 422
    assert response.json()["code"] == "calendar.schedule_invalid"
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("received", "due_day"),
    [
        (beijing(2031, 3, 14, 15), date(2031, 3, 17)),
        (beijing(2031, 4, 4, 10), date(2031, 4, 8)),
        (beijing(2031, 9, 30, 23, 50), date(2031, 10, 8)),
        (beijing(2031, 9, 26, 9), date(2031, 9, 27)),
        (beijing(2031, 10, 11, 11), date(2031, 10, 13)),
    ],
    ids=["weekend", "holiday-eve", "golden-week-eve", "friday-before-makeup", "on-makeup"],
)
async def test_deadlines_follow_the_entered_year(
    settings: Settings, received: datetime, due_day: date
) -> None:
    async with running(create_app, await settings()) as registry:
        assert (await put_year(registry, 2031, SCHEDULE_2031)).status_code == 200
        filed = await filed_at(registry, received)

    assert instant(filed["deadline_at"]) == end_of_beijing(due_day)
    assert filed["deadline_provisional"] is False
    assert filed["registration_number"].startswith("Y2031")


async def test_a_year_not_entered_gives_a_provisional_weekday_deadline(
    settings: Settings,
) -> None:
    new_year_friday = beijing(2032, 1, 2, 10)
    async with running(create_app, await settings()) as registry:
        provisional = await filed_at(registry, new_year_friday)
        schedule = {"holidays": ["2032-01-01", "2032-01-02", "2032-01-05"]}
        assert (await put_year(registry, 2032, schedule)).status_code == 200
        official = await filed_at(registry, new_year_friday)

    assert provisional["deadline_provisional"] is True
    assert instant(provisional["deadline_at"]) == end_of_beijing(date(2032, 1, 5))
    assert official["deadline_provisional"] is False
    assert instant(official["deadline_at"]) == end_of_beijing(date(2032, 1, 6))


async def test_an_entered_year_survives_a_restart(settings: Settings) -> None:
    first = await settings()
    async with running(create_app, first) as registry:
        assert (await put_year(registry, 2031, SCHEDULE_2031)).status_code == 200
    async with running(create_app, await settings(first.database_url)) as restarted:
        listed = (await restarted.client.get("/internal/v1/calendar/2031")).json()
        filed = await filed_at(restarted, beijing(2031, 4, 4, 10))

    assert listed["working_weekend_days"] == SCHEDULE_2031["makeup_workdays"]
    assert instant(filed["deadline_at"]) == end_of_beijing(date(2031, 4, 8))


async def test_another_replica_picks_up_an_entered_year(settings: Settings) -> None:
    one = await settings(calendar_refresh_interval=0.05)
    other = await settings(one.database_url, calendar_refresh_interval=0.05)
    async with running(create_app, one) as first, running(create_app, other) as second:
        assert not second.app.state.deps.calendar.covers(2031)
        assert (await put_year(first, 2031, SCHEDULE_2031)).status_code == 200
        await eventually(lambda: second.app.state.deps.calendar.covers(2031))
        filed = await filed_at(second, beijing(2031, 9, 26, 9))

    assert instant(filed["deadline_at"]) == end_of_beijing(date(2031, 9, 27))
