"""The official calendar entered at the registry, and the deadlines counted on it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from services.registry.adapters.orm import calendar_schedules
from services.registry.app import create_app
from services.registry.domain.events import CALENDAR_TOPIC, PLEDGES_TOPIC
from services.registry.runtime import RegistryTimers
from services.registry.settings import RegistrySettings
from shared.auth import Role
from shared.kernel.clock import ManualClock
from shared.workdays import BEIJING
from tests.calendars import AMENDED_2027, SCHEDULE_2027, schedule_body, span
from tests.conftest import MakeDatabase
from tests.credentials import staff_headers
from tests.integration.conftest import Running, at, eventually, running
from tests.integration.test_registry_examination import examined
from tests.integration.test_registry_service import file, filing, instant, put_patent

pytestmark = pytest.mark.postgres

QINGMING_2031 = [date(2031, 4, 5), date(2031, 4, 6), date(2031, 4, 7)]
NATIONAL_DAY_2031 = span(date(2031, 10, 1), date(2031, 10, 7))
MAKEUP_2031 = [date(2031, 9, 27), date(2031, 10, 11)]
SCHEDULE_2031 = schedule_body(2031, QINGMING_2031 + NATIONAL_DAY_2031, MAKEUP_2031)
LONG_LIVED = {"fees_paid_through": "2036-12-31"}
DEBT_DUE = "2035-06-30"
MOVED = "registry.filing.deadline_moved"
BREACHED = "registry.filing.sla_breached"
SUPERVISOR = staff_headers("supervisor-wang", Role.SUPERVISOR)

Settings = Callable[..., Awaitable[RegistrySettings]]


@pytest.fixture
def settings(make_database: MakeDatabase) -> Settings:
    async def make(url: str | None = None, **changes: Any) -> RegistrySettings:
        values: dict[str, Any] = {
            "sla_check_interval": 3600,
            "calendar_refresh_interval": 3600,
        } | changes
        return RegistrySettings(
            environment="test",
            database_url=url or await make_database("registry"),
            kafka_bootstrap_servers="memory://",
            http_port=0,
            outbox_poll_interval=0.05,
            **values,
        )

    return make


def beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def end_of_beijing(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), BEIJING).astimezone(UTC)


def runtime(service: Running) -> RegistryTimers:
    found = service.app.state.timers
    assert isinstance(found, RegistryTimers)
    return found


async def filed_at(service: Running, moment: datetime) -> dict[str, Any]:
    at(service, moment)
    patent = await put_patent(service, **LONG_LIVED)
    response = await file(service, filing(patent, performance_deadline=DEBT_DUE))
    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["status"] == "registered", filed["findings"]
    return filed


async def put_year(
    service: Running, year: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    return await service.client.put(
        f"/internal/v1/calendar/{year}", json=body, headers=headers or SUPERVISOR
    )


async def get_filing(service: Running, filing_id: str) -> dict[str, Any]:
    response = await service.client.get(f"/v1/pledge-filings/{filing_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_year_entered_lists_its_days_version_and_notice(settings: Settings) -> None:
    async with running(create_app, await settings()) as registry:
        response = await put_year(registry, 2031, SCHEDULE_2031)
        listed = await registry.client.get("/internal/v1/calendar/2031")
        [published] = await eventually(lambda: registry.events(CALENDAR_TOPIC))

    assert response.status_code == 200, response.text
    assert listed.json() == response.json()
    year = response.json()
    assert (year["source"], year["version"], year["provisional"]) == ("official_notice", 1, False)
    assert year["notice"] == SCHEDULE_2031["notice"]
    assert year["entered_by"] == "supervisor-wang"
    assert year["working_weekend_days"] == [d.isoformat() for d in MAKEUP_2031]
    weekday_days_off = [d for d in SCHEDULE_2031["holidays"] if date.fromisoformat(d).weekday() < 5]
    assert year["non_working_weekdays"] == weekday_days_off
    assert (published.event_type, published.aggregate_id) == (
        "registry.calendar.year_published",
        "2031",
    )
    assert published.payload["version"] == 1
    assert published.payload["holidays"] == SCHEDULE_2031["holidays"]
    assert published.payload["notice_reference"] == SCHEDULE_2031["notice"]["reference"]
    assert published.payload["entered_by"] == "supervisor-wang"


async def test_years_without_notice_show_where_their_days_come_from(settings: Settings) -> None:
    async with running(create_app, await settings()) as registry:
        library = (await registry.client.get("/internal/v1/calendar/2025")).json()
        provisional = (await registry.client.get("/internal/v1/calendar/2033")).json()
        unknown = await registry.client.get("/internal/v1/calendar/2003")

    assert (library["source"], library["version"], library["provisional"]) == ("library", 0, False)
    assert "2025-10-01" in library["non_working_weekdays"]
    assert library["working_weekend_days"][-2:] == ["2025-09-28", "2025-10-11"]
    assert provisional["source"] == "provisional_statutory_rule"
    assert provisional["provisional"] is True
    assert provisional["working_weekend_days"] == []
    assert {"2033-01-31", "2033-10-03", "2033-10-04"} <= set(provisional["non_working_weekdays"])
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "calendar.year_not_loaded"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (schedule_body(2031, [date(2030, 12, 31)]), "dates outside 2031"),
        (
            schedule_body(2031) | {"makeup_workdays": ["2031-01-01"]},
            "both holiday and make-up working day: 2031-01-01",
        ),
        (schedule_body(2031, makeup=[date(2031, 9, 26)]), "must be weekend days: 2031-09-26"),
        (
            schedule_body(2031) | {"holidays": ["2031-01-01"]},
            "statutory holidays not listed as days off: 2031-01-22",
        ),
    ],
    ids=["outside-the-year", "listed-twice", "makeup-on-a-weekday", "not-a-whole-year"],
)
async def test_an_inconsistent_schedule_is_rejected(
    settings: Settings, body: dict[str, Any], problem: str
) -> None:
    async with running(create_app, await settings()) as registry:
        response = await put_year(registry, 2031, body)
        after = (await registry.client.get("/internal/v1/calendar/2031")).json()

    assert response.status_code == 422
    assert response.json()["code"] == "calendar.schedule_invalid"
    assert problem in response.json()["detail"]
    assert after["source"] == "provisional_statutory_rule"
    assert registry.events(CALENDAR_TOPIC) == []


async def test_a_schedule_needs_its_notice(settings: Settings) -> None:
    body = {k: v for k, v in SCHEDULE_2031.items() if k != "notice"}
    async with running(create_app, await settings()) as registry:
        response = await put_year(registry, 2031, body)

    assert response.status_code == 422
    assert response.json()["code"] == "request.invalid"
    assert [e["field"] for e in response.json()["errors"]] == ["notice"]


async def test_only_supervisors_and_administrators_enter_a_schedule(settings: Settings) -> None:
    examiner = staff_headers("exa", Role.EXAMINER)
    administrator = staff_headers("admin-li", Role.ADMINISTRATOR)
    async with running(create_app, await settings()) as registry:
        refused = await put_year(registry, 2031, SCHEDULE_2031, examiner)
        entered = await put_year(registry, 2031, SCHEDULE_2031, administrator)
        seen = await registry.client.get("/internal/v1/calendar/2031", headers=examiner)

    assert (refused.status_code, refused.json()["code"]) == (403, "auth.role_forbidden")
    assert entered.status_code == 200
    assert entered.json()["entered_by"] == "admin-li"
    assert seen.json()["version"] == 1


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


async def test_a_year_end_filing_waits_for_next_years_notice_without_a_false_breach(
    settings: Settings,
) -> None:
    clock = ManualClock(beijing(2026, 12, 31, 10))
    async with running(partial(create_app, clock=clock), await settings()) as registry:
        filed = await examined(registry)
        provisional = filed["deadline_at"]

        clock.set(beijing(2027, 1, 5, 9))
        assert await runtime(registry).watch_deadlines() == 0
        assert registry.events(PLEDGES_TOPIC, BREACHED) == []

        assert (await put_year(registry, 2027, SCHEDULE_2027)).status_code == 200
        current = await get_filing(registry, filed["filing_id"])
        [moved] = await eventually(lambda: registry.events(PLEDGES_TOPIC, MOVED))
        assert await runtime(registry).watch_deadlines() == 0

        clock.set(beijing(2027, 1, 6, 0, 5))
        assert await runtime(registry).watch_deadlines() == 1

    assert filed["deadline_provisional"] is True
    assert instant(provisional) == end_of_beijing(date(2027, 1, 4))
    assert instant(current["deadline_at"]) == end_of_beijing(date(2027, 1, 5))
    assert current["deadline_provisional"] is False
    assert moved.aggregate_id == filed["filing_id"]
    assert instant(moved.payload["previous_deadline_at"]) == instant(provisional)
    assert instant(moved.payload["deadline_at"]) == end_of_beijing(date(2027, 1, 5))
    assert (moved.payload["calendar_year"], moved.payload["calendar_version"]) == (2027, 1)
    assert moved.payload["deadline_provisional"] is False


async def test_an_amendment_replaces_the_year_and_moves_open_deadlines(
    settings: Settings,
) -> None:
    clock = ManualClock(beijing(2027, 2, 4, 10))
    async with running(partial(create_app, clock=clock), await settings()) as registry:
        assert (await put_year(registry, 2027, SCHEDULE_2027)).status_code == 200
        filed = await examined(registry)
        clock.set(beijing(2027, 2, 5, 9))
        amended = await put_year(registry, 2027, AMENDED_2027)
        current = await get_filing(registry, filed["filing_id"])
        [moved] = await eventually(lambda: registry.events(PLEDGES_TOPIC, MOVED))
        published = await eventually(lambda: len(registry.events(CALENDAR_TOPIC)) == 2)
        versions = await registry.rows(calendar_schedules)
        history = await registry.client.get("/internal/v1/calendar/2027/versions")
        examiner = await registry.client.get(
            "/internal/v1/calendar/2027/versions", headers=staff_headers("exa", Role.EXAMINER)
        )

    assert published
    assert instant(filed["deadline_at"]) == end_of_beijing(date(2027, 2, 15))
    assert amended.json()["version"] == 2
    assert amended.json()["notice"]["reference"] == "国办发明电〔2027〕1号"
    assert "2027-02-15" in amended.json()["non_working_weekdays"]
    assert instant(current["deadline_at"]) == end_of_beijing(date(2027, 2, 16))
    assert instant(moved.payload["previous_deadline_at"]) == end_of_beijing(date(2027, 2, 15))
    assert moved.payload["calendar_version"] == 2
    assert sorted((row["version"], row["entered_by"]) for row in versions) == [
        (1, "supervisor-wang"),
        (2, "supervisor-wang"),
    ]
    assert [(v["version"], v["notice_reference"]) for v in history.json()] == [
        (1, SCHEDULE_2027["notice"]["reference"]),
        (2, "国办发明电〔2027〕1号"),
    ]
    assert history.json()[1]["holidays"] == AMENDED_2027["holidays"]
    assert (examiner.status_code, examiner.json()["code"]) == (403, "auth.role_forbidden")


async def test_an_entered_year_survives_a_restart(settings: Settings) -> None:
    first = await settings()
    async with running(create_app, first) as registry:
        assert (await put_year(registry, 2031, SCHEDULE_2031)).status_code == 200
        assert (await put_year(registry, 2031, SCHEDULE_2031)).status_code == 200
    async with running(create_app, await settings(first.database_url)) as restarted:
        listed = (await restarted.client.get("/internal/v1/calendar/2031")).json()
        filed = await filed_at(restarted, beijing(2031, 4, 4, 10))

    assert (listed["version"], listed["source"]) == (2, "official_notice")
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


async def test_a_missing_next_year_is_a_warning_from_the_first_of_december(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(beijing(2026, 11, 30, 23))
    caplog.set_level(logging.WARNING, logger="shared.calendars")
    async with running(partial(create_app, clock=clock), await settings()) as registry:
        november = (await registry.client.get("/readyz")).json()
        clock.set(beijing(2026, 12, 1, 0, 30))
        december = await registry.client.get("/readyz")
        await runtime(registry).refresh_calendar()
        await runtime(registry).refresh_calendar()
        logged_once = [r for r in caplog.records if r.getMessage().startswith("official")]
        clock.set(beijing(2026, 12, 2, 9))
        await runtime(registry).refresh_calendar()
        logged_twice = [r for r in caplog.records if r.getMessage().startswith("official")]
        assert (await put_year(registry, 2027, SCHEDULE_2027)).status_code == 200
        loaded = (await registry.client.get("/readyz")).json()

    assert november == {"status": "ready"}
    assert december.status_code == 200
    warning = december.json()["warnings"]["calendar.2027"]
    assert december.json()["status"] == "ready"
    assert "python -m shared.ops load-calendar 2027 2027.yaml --token" in warning
    assert "issue-credential" in warning
    assert len(logged_once) == 1 and len(logged_twice) == 2
    assert "load-calendar 2027" in logged_once[0].getMessage()
    assert loaded == {"status": "ready"}


async def test_the_warning_day_is_a_setting(settings: Settings) -> None:
    clock = ManualClock(beijing(2026, 11, 16, 9))
    early = await settings(calendar_warn_from="11-15")
    async with running(partial(create_app, clock=clock), early) as registry:
        ready = (await registry.client.get("/readyz")).json()

    assert list(ready["warnings"]) == ["calendar.2027"]
    with pytest.raises(ValueError, match="MM-DD"):
        await settings(calendar_warn_from="1 December")
