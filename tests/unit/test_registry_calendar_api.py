"""The official calendar entered at the registry over HTTP, and the deadline watch on its timer,
on in-memory storage: what the office enters, the deadlines counted on it, the breaches it
announces."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.auth import Role
from tests.calendars import AMENDED_2027, MAKEUP_2031, SCHEDULE_2027, SCHEDULE_2031, schedule_body
from tests.credentials import staff_headers
from tests.unit.registry_harness import (
    SUPERVISOR,
    Registry,
    act,
    as_examiner,
    at,
    beijing,
    claim,
    end_of_beijing,
    examined,
    file,
    filed_at,
    filing,
    instant,
    problem_code,
    put_patent,
    put_year,
    registry,
)

__all__ = ["registry"]

MOVED = "registry.filing.deadline_moved"
BREACHED = "registry.filing.sla_breached"
PUBLISHED = "registry.calendar.year_published"


async def get_filing(service: Registry, filing_id: str) -> dict[str, Any]:
    response = await service.client.get(f"/v1/pledge-filings/{filing_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_year_entered_lists_its_days_version_and_notice(registry: Registry) -> None:
    response = await put_year(registry, 2031, SCHEDULE_2031)
    listed = await registry.client.get("/internal/v1/calendar/2031")
    [published] = registry.events(PUBLISHED)

    assert response.status_code == 200, response.text
    assert listed.json() == response.json()
    year = response.json()
    assert (year["source"], year["version"], year["provisional"]) == ("official_notice", 1, False)
    assert year["notice"] == SCHEDULE_2031["notice"]
    assert year["entered_by"] == "supervisor-wang"
    assert year["working_weekend_days"] == [d.isoformat() for d in MAKEUP_2031]
    weekday_days_off = [d for d in SCHEDULE_2031["holidays"] if date.fromisoformat(d).weekday() < 5]
    assert year["non_working_weekdays"] == weekday_days_off
    assert published.aggregate_id == "2031"
    assert published.payload["version"] == 1
    assert published.payload["holidays"] == SCHEDULE_2031["holidays"]
    assert published.payload["notice_reference"] == SCHEDULE_2031["notice"]["reference"]
    assert published.payload["entered_by"] == "supervisor-wang"


async def test_years_without_notice_show_where_their_days_come_from(registry: Registry) -> None:
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
    assert (unknown.status_code, problem_code(unknown)) == (404, "calendar.year_not_loaded")


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
    registry: Registry, body: dict[str, Any], problem: str
) -> None:
    response = await put_year(registry, 2031, body)
    after = (await registry.client.get("/internal/v1/calendar/2031")).json()

    assert (response.status_code, problem_code(response)) == (422, "calendar.schedule_invalid")
    assert problem in response.json()["detail"]
    assert after["source"] == "provisional_statutory_rule"
    assert registry.events(PUBLISHED) == []


async def test_a_schedule_needs_its_notice(registry: Registry) -> None:
    body = {k: v for k, v in SCHEDULE_2031.items() if k != "notice"}
    response = await put_year(registry, 2031, body)

    assert (response.status_code, problem_code(response)) == (422, "request.invalid")
    assert [e["field"] for e in response.json()["errors"]] == ["notice"]


async def test_only_supervisors_and_administrators_enter_a_schedule(registry: Registry) -> None:
    examiner = staff_headers("exa", Role.EXAMINER)
    administrator = staff_headers("admin-li", Role.ADMINISTRATOR)

    refused = await put_year(registry, 2031, SCHEDULE_2031, examiner)
    unchanged = await registry.client.get("/internal/v1/calendar/2031", headers=examiner)
    entered = await put_year(registry, 2031, SCHEDULE_2031, administrator)
    amended = await put_year(registry, 2031, SCHEDULE_2031, SUPERVISOR)
    seen = await registry.client.get("/internal/v1/calendar/2031", headers=examiner)

    assert (refused.status_code, problem_code(refused)) == (403, "auth.role_forbidden")
    assert (unchanged.json()["source"], unchanged.json()["version"]) == (
        "provisional_statutory_rule",
        0,
    )
    assert (entered.status_code, entered.json()["entered_by"]) == (200, "admin-li")
    assert (amended.status_code, amended.json()["entered_by"]) == (200, "supervisor-wang")
    assert seen.json()["version"] == 2


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
    registry: Registry, received: datetime, due_day: date
) -> None:
    assert (await put_year(registry, 2031, SCHEDULE_2031)).status_code == 200
    filed = await filed_at(registry, received)

    assert instant(filed["deadline_at"]) == end_of_beijing(due_day)
    assert filed["deadline_provisional"] is False
    assert filed["registration_number"].startswith("Y2031")


async def test_a_year_end_filing_waits_for_next_years_notice_without_a_false_breach(
    registry: Registry,
) -> None:
    at(registry, beijing(2026, 12, 31, 10))
    filed = await examined(registry)
    provisional = filed["deadline_at"]

    at(registry, beijing(2027, 1, 5, 9))
    assert await registry.timers.watch_deadlines() == 0
    assert (await put_year(registry, 2027, SCHEDULE_2027)).status_code == 200
    current = await get_filing(registry, filed["filing_id"])
    [moved] = registry.events(MOVED)
    assert await registry.timers.watch_deadlines() == 0
    at(registry, beijing(2027, 1, 6, 0, 5))
    assert await registry.timers.watch_deadlines() == 1

    assert filed["deadline_provisional"] is True
    assert instant(provisional) == end_of_beijing(date(2027, 1, 4))
    assert instant(current["deadline_at"]) == end_of_beijing(date(2027, 1, 5))
    assert current["deadline_provisional"] is False
    assert moved.aggregate_id == filed["filing_id"]
    assert instant(moved.payload["previous_deadline_at"]) == instant(provisional)
    assert (moved.payload["calendar_year"], moved.payload["calendar_version"]) == (2027, 1)
    [breached] = registry.events(BREACHED)
    assert breached.aggregate_id == filed["filing_id"]


async def test_an_amendment_replaces_the_year_and_its_versions_are_listed(
    registry: Registry,
) -> None:
    at(registry, beijing(2027, 2, 4, 10))
    assert (await put_year(registry, 2027, SCHEDULE_2027)).status_code == 200
    filed = await examined(registry)
    at(registry, beijing(2027, 2, 5, 9))
    amended = await put_year(registry, 2027, AMENDED_2027)
    current = await get_filing(registry, filed["filing_id"])
    history = await registry.client.get("/internal/v1/calendar/2027/versions")
    examiner = await registry.client.get(
        "/internal/v1/calendar/2027/versions", headers=staff_headers("exa", Role.EXAMINER)
    )

    assert instant(filed["deadline_at"]) == end_of_beijing(date(2027, 2, 15))
    assert amended.json()["version"] == 2
    assert amended.json()["notice"]["reference"] == "国办发明电〔2027〕1号"
    assert "2027-02-15" in amended.json()["non_working_weekdays"]
    assert instant(current["deadline_at"]) == end_of_beijing(date(2027, 2, 16))
    assert [(e.aggregate_id, e.aggregate_version) for e in registry.events(PUBLISHED)] == [
        ("2027", 1),
        ("2027", 2),
    ]
    assert [(v["version"], v["notice_reference"]) for v in history.json()] == [
        (1, SCHEDULE_2027["notice"]["reference"]),
        (2, "国办发明电〔2027〕1号"),
    ]
    assert [v["entered_by"] for v in history.json()] == ["supervisor-wang"] * 2
    assert history.json()[1]["holidays"] == AMENDED_2027["holidays"]
    assert (examiner.status_code, problem_code(examiner)) == (403, "auth.role_forbidden")


async def test_an_overdue_filing_is_announced_once_and_only_it(registry: Registry) -> None:
    at(registry, beijing(2026, 3, 2, 10))
    late = await examined(registry)
    suspended = (await examined(registry))["filing_id"]
    await claim(registry, suspended, "exa")
    fix = {"fields": ["debt_type"], "message": "Fix it."}
    await act(registry, suspended, "request-correction", "exa", fix)
    clean = await file(registry, filing(await put_patent(registry)))
    assert clean.json()["status"] == "registered"
    at(registry, beijing(2026, 3, 4, 10))
    on_time = await examined(registry)

    announced = await registry.timers.watch_deadlines()
    again = await registry.timers.watch_deadlines()

    assert (announced, again) == (1, 0)
    [event] = registry.events(BREACHED)
    assert event.aggregate_id == late["filing_id"]
    assert instant(event.payload["deadline_at"]) == instant(late["deadline_at"])
    assert instant(event.payload["breached_at"]) == registry.clock.now()
    assert (event.payload["status"], event.payload["claimed_by"]) == ("in_examination", None)
    current = await get_filing(registry, late["filing_id"])
    assert instant(current["sla_breached_at"]) == registry.clock.now()
    queue = await registry.client.get("/internal/v1/examination/queue", headers=as_examiner("x"))
    overdue = {i["filing_id"]: i["overdue"] for i in queue.json()["items"]}
    assert overdue == {late["filing_id"]: True, on_time["filing_id"]: False}

    restarted = Registry(registry.database, start=registry.clock.now())
    assert await restarted.timers.watch_deadlines() == 0
    restarted.clock.set(beijing(2026, 3, 6, 10).astimezone(UTC))
    assert await restarted.timers.watch_deadlines() == 1
    assert [e.aggregate_id for e in registry.events(BREACHED)] == [
        late["filing_id"],
        on_time["filing_id"],
    ]
