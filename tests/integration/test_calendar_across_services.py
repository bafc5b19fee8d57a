"""One official calendar for registry and credit: entered once, received as an event, kept.

Registry and credit run in-process on one in-memory bus and one clock the test moves; each
has its own PostgreSQL database with its real migrations.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.credit.adapters.orm import calendar_schedules
from services.credit.app import create_app as credit_app
from services.credit.entrypoints.calendar_keeper import CalendarKeeper
from services.credit.settings import CreditSettings
from services.registry.app import create_app as registry_app
from services.registry.runtime import RegistryTimers
from services.registry.settings import RegistrySettings
from shared.auth import Role
from shared.bus.memory import InMemoryBus
from shared.calendars import CALENDAR_TOPIC
from shared.kernel.clock import ManualClock
from shared.workdays import BEIJING
from tests.calendars import AMENDED_2027, SCHEDULE_2027
from tests.conftest import MakeDatabase
from tests.credentials import ActingAs, staff_headers
from tests.integration.conftest import Running, envelope, eventually, publish
from tests.integration.test_credit_service import (
    HANGZHOU,
    LOANS_TOPIC,
    PATENT,
    credit_service,
    loan,
    loan_events,
    offered,
    reaches,
    sweeper,
)
from tests.integration.test_registry_service import PLEDGES_TOPIC, put_patent

pytestmark = pytest.mark.postgres

SUPERVISOR = staff_headers("supervisor-wang", Role.SUPERVISOR)
CREDIT_MOVED = "credit.registration_deadline.moved"
FILING_MOVED = "registry.filing.deadline_moved"
DLQ_CALENDAR = "pledgeflow.dlq.credit.calendar"


def beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def end_of_beijing(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), BEIJING).astimezone(UTC)


def registration_deadline(current: dict[str, Any]) -> dict[str, Any]:
    return dict(next(d for d in current["deadlines"] if d["kind"] == "pledge_registration"))


def due(current: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(registration_deadline(current)["due_at"])


def year_published(body: dict[str, Any], year: int = 2027, version: int = 1) -> Any:
    payload = {
        "year": year,
        "version": version,
        "holidays": body["holidays"],
        "makeup_workdays": body["makeup_workdays"],
        "notice_reference": body["notice"]["reference"],
        "notice_published_on": body["notice"]["published_on"],
        "entered_by": "supervisor-wang",
        "entered_at": datetime(2026, 11, 20, 2, tzinfo=UTC).isoformat(),
    }
    return envelope("registry.calendar.year_published", str(year), payload)


async def calendar_year(service: Running, year: int = 2027) -> dict[str, Any]:
    response = await service.client.get(f"/internal/v1/calendar/{year}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def keeper(service: Running) -> CalendarKeeper:
    found = service.app.state.calendar_keeper
    assert isinstance(found, CalendarKeeper)
    return found


@dataclass
class Pair:
    registry: Running
    credit: Running


@asynccontextmanager
async def registry_and_credit(
    make_database: MakeDatabase, clock: ManualClock
) -> AsyncIterator[Pair]:
    """Both services on one bus, each on its own fresh database."""
    common: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": "memory://",
        "http_port": 0,
        "outbox_poll_interval": 0.05,
        "calendar_refresh_interval": 3600,
    }
    registry_settings = RegistrySettings(
        database_url=await make_database("registry"),
        sla_check_interval=3600,
        **common,
    )
    credit_settings = CreditSettings(
        database_url=await make_database("credit"),
        sweep_interval=3600,
        **common,
    )
    bus = InMemoryBus()
    apps = (
        registry_app(registry_settings, bus=bus, clock=clock),
        credit_app(credit_settings, bus=bus, clock=clock),
    )
    async with AsyncExitStack() as stack:
        services = []
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://test",
                    auth=ActingAs(),
                )
            )
            services.append(Running(app, bus, client))
        yield Pair(*services)


async def test_the_spring_festival_deadline_is_the_same_in_registry_and_credit(
    make_database: MakeDatabase,
) -> None:
    clock = ManualClock(beijing(2027, 2, 4, 10))
    async with registry_and_credit(make_database, clock) as pair:
        registry, credit = pair.registry, pair.credit
        await put_patent(
            registry, number=PATENT, invalidation_pending=True, fees_paid_through="2036-12-31"
        )
        loan_id = await offered(credit)
        accepted = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
        assert accepted.status_code == 200, accepted.text
        [received] = await eventually(
            lambda: registry.events(PLEDGES_TOPIC, "registry.filing.received")
        )
        before = registration_deadline(await loan(credit, loan_id))

        entered = await registry.client.put(
            "/internal/v1/calendar/2027", json=SCHEDULE_2027, headers=SUPERVISOR
        )
        assert entered.status_code == 200, entered.text
        [credit_moved] = await eventually(lambda: loan_events(credit, loan_id, CREDIT_MOVED))
        [filing_moved] = await eventually(lambda: registry.events(PLEDGES_TOPIC, FILING_MOVED))
        after = registration_deadline(await loan(credit, loan_id))
        seen = (await calendar_year(registry), await calendar_year(credit))

        clock.set(beijing(2027, 2, 10, 12))
        assert await sweeper(credit).sweep_once() == 0
        assert await registry_runtime(registry).watch_deadlines() == 0
        assert (await loan(credit, loan_id))["status"] == "pledge_filed"

        clock.set(end_of_beijing(date(2027, 2, 17)))
        assert await sweeper(credit).sweep_once() == 1
        withdrawn = await reaches(credit, loan_id, "offer_withdrawn")

    assert received.payload["deadline_provisional"] is True
    assert (before["provisional"], datetime.fromisoformat(before["due_at"])) == (
        True,
        end_of_beijing(date(2027, 2, 15)),
    )
    assert after["provisional"] is False
    assert datetime.fromisoformat(after["due_at"]) == end_of_beijing(date(2027, 2, 17))
    assert datetime.fromisoformat(credit_moved.payload["due_at"]) == end_of_beijing(
        date(2027, 2, 17)
    )
    assert (credit_moved.payload["calendar_year"], credit_moved.payload["calendar_version"]) == (
        2027,
        1,
    )
    registry_due = datetime.fromisoformat(filing_moved.payload["deadline_at"])
    assert registry_due == end_of_beijing(date(2027, 2, 15))
    assert registry_due <= datetime.fromisoformat(after["due_at"])
    assert seen[0] == seen[1]
    assert (seen[1]["version"], seen[1]["source"]) == (1, "official_notice")
    assert withdrawn["withdrawal_reason"] == "pledge.not_registered_in_time"


def registry_runtime(service: Running) -> RegistryTimers:
    found = service.app.state.timers
    assert isinstance(found, RegistryTimers)
    return found


@pytest.fixture
async def credit_database(make_database: MakeDatabase) -> str:
    return await make_database("credit")


async def pledge_filed_on(credit: Running, clock: ManualClock, moment: datetime) -> str:
    clock.set(moment)
    loan_id = await offered(credit)
    response = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
    assert response.status_code == 200, response.text
    return loan_id


async def test_a_schedule_published_while_credit_was_down_reaches_it_and_stays(
    credit_database: str,
) -> None:
    clock = ManualClock(beijing(2027, 2, 4, 10))
    async with credit_service(credit_database, clock) as credit:
        loan_id = await pledge_filed_on(credit, clock, beijing(2027, 2, 4, 10))
        provisional = registration_deadline(await loan(credit, loan_id))
        assert (await calendar_year(credit))["source"] == "provisional_statutory_rule"

    async with credit_service(credit_database, clock) as restarted:
        await publish(restarted.bus, CALENDAR_TOPIC, year_published(SCHEDULE_2027))
        [moved] = await eventually(lambda: loan_events(restarted, loan_id, CREDIT_MOVED))

    async with credit_service(credit_database, clock) as again:
        kept = await calendar_year(again)
        other = await pledge_filed_on(again, clock, beijing(2027, 2, 4, 11))
        firm = registration_deadline(await loan(again, other))
        assert again.events(LOANS_TOPIC, CREDIT_MOVED) == []

    assert provisional["provisional"] is True
    assert datetime.fromisoformat(moved.payload["previous_due_at"]) == end_of_beijing(
        date(2027, 2, 15)
    )
    assert (kept["version"], kept["source"], kept["entered_by"]) == (
        1,
        "official_notice",
        "supervisor-wang",
    )
    assert kept["notice"] == SCHEDULE_2027["notice"]
    assert firm["provisional"] is False
    assert datetime.fromisoformat(firm["due_at"]) == end_of_beijing(date(2027, 2, 17))


async def test_an_amendment_moves_the_registration_deadline_and_an_older_version_does_not(
    credit_database: str,
) -> None:
    clock = ManualClock(beijing(2027, 2, 4, 10))
    async with credit_service(credit_database, clock) as credit:
        await publish(credit.bus, CALENDAR_TOPIC, year_published(SCHEDULE_2027))
        await eventually(lambda: credit.app.state.calendar_book.calendar.version(2027) == 1)
        loan_id = await pledge_filed_on(credit, clock, beijing(2027, 2, 4, 10))
        first = due(await loan(credit, loan_id))

        await publish(credit.bus, CALENDAR_TOPIC, year_published(AMENDED_2027, version=2))
        [moved] = await eventually(lambda: loan_events(credit, loan_id, CREDIT_MOVED))
        await publish(credit.bus, CALENDAR_TOPIC, year_published(SCHEDULE_2027, version=1))
        await eventually(lambda: credit.handled("credit.calendar") == 3)
        amended = due(await loan(credit, loan_id))
        seen = await calendar_year(credit)
        stored = await credit.rows(calendar_schedules)

    assert first == end_of_beijing(date(2027, 2, 17))
    assert amended == end_of_beijing(date(2027, 2, 18))
    assert datetime.fromisoformat(moved.payload["previous_due_at"]) == first
    assert moved.payload["calendar_version"] == 2
    assert (seen["version"], seen["notice"]["reference"]) == (2, "国办发明电〔2027〕1号")
    assert sorted(row["version"] for row in stored) == [1, 2]


async def test_a_schedule_that_is_not_a_whole_year_is_dead_lettered(
    credit_database: str,
) -> None:
    partial_year = SCHEDULE_2027 | {"holidays": ["2027-01-01"]}
    async with credit_service(credit_database) as credit:
        await publish(credit.bus, CALENDAR_TOPIC, year_published(partial_year))
        [letter] = await eventually(lambda: credit.dead_letters(DLQ_CALENDAR))
        year = await calendar_year(credit)

    assert dict(letter.headers)["dlq.reason"] == b"calendar.schedule_invalid"
    assert year["source"] == "provisional_statutory_rule"


async def test_credit_warns_of_a_missing_next_year_from_the_first_of_december(
    credit_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="shared.calendars")
    clock = ManualClock(beijing(2026, 11, 30, 12))
    async with credit_service(credit_database, clock) as credit:
        november = (await credit.client.get("/readyz")).json()
        clock.set(beijing(2026, 12, 1, 8))
        december = (await credit.client.get("/readyz")).json()
        await keeper(credit).catch_up()
        await publish(credit.bus, CALENDAR_TOPIC, year_published(SCHEDULE_2027))
        await eventually(lambda: credit.app.state.calendar_book.calendar.version(2027) == 1)
        loaded = (await credit.client.get("/readyz")).json()

    assert november == {"status": "ready"}
    assert december["status"] == "ready"
    assert "calendar load 2027 2027.yaml --token" in december["warnings"]["calendar.2027"]
    assert [r for r in caplog.records if "calendar load 2027" in r.getMessage()]
    assert loaded == {"status": "ready"}


async def test_credit_shows_its_calendar_to_the_credit_desk_only(credit_database: str) -> None:
    async with credit_service(credit_database) as credit:
        officer = await credit.client.get(
            "/internal/v1/calendar/2027", headers=staff_headers("o-1", Role.CREDIT_OFFICER)
        )
        examiner = await credit.client.get(
            "/internal/v1/calendar/2027", headers=staff_headers("e-1", Role.EXAMINER)
        )

    assert officer.status_code == 200
    assert officer.json()["provisional"] is True
    assert (examiner.status_code, examiner.json()["code"]) == (403, "auth.role_forbidden")


async def test_a_schedule_one_credit_replica_stores_is_in_force_on_the_other_within_seconds(
    credit_database: str,
) -> None:
    clock = ManualClock(beijing(2027, 2, 4, 10))
    async with (
        credit_service(credit_database, clock) as consuming,
        credit_service(credit_database, clock) as other,
    ):
        assert (await calendar_year(other))["source"] == "provisional_statutory_rule"
        await publish(consuming.bus, CALENDAR_TOPIC, year_published(SCHEDULE_2027))
        # The other replica reads no event and looks again only in a minute: it hears the commit.
        await eventually(lambda: other.app.state.deps.calendar.version(2027) == 1, timeout=3)
        listed = await calendar_year(other)

    assert (listed["version"], listed["source"]) == (1, "official_notice")
