"""The official calendar on PostgreSQL: an entered year is put in force again after a restart
and by the other replicas, and a missing year is reported by the readiness probe.

What the registry office enters and the deadlines counted on it are tested on in-memory
storage in tests/unit/test_registry_calendar_api.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from functools import partial
from typing import Any

import pytest

from services.registry.app import create_app
from services.registry.runtime import RegistryTimers
from services.registry.settings import RegistrySettings
from shared.kernel.clock import ManualClock
from tests.calendars import SCHEDULE_2027, SCHEDULE_2031
from tests.conftest import MakeDatabase
from tests.integration.conftest import Running, eventually, running
from tests.unit.registry_harness import beijing, end_of_beijing, filed_at, instant, put_year

pytestmark = pytest.mark.postgres

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


def runtime(service: Running) -> RegistryTimers:
    found = service.app.state.timers
    assert isinstance(found, RegistryTimers)
    return found


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
    assert "pledgeflow calendar load 2027 2027.yaml --token" in warning
    assert "pledgeflow credentials issue" in warning
    assert len(logged_once) == 1 and len(logged_twice) == 2
    assert "calendar load 2027" in logged_once[0].getMessage()
    assert loaded == {"status": "ready"}


async def test_the_warning_day_is_a_setting(settings: Settings) -> None:
    clock = ManualClock(beijing(2026, 11, 16, 9))
    early = await settings(calendar_warn_from="11-15")
    async with running(partial(create_app, clock=clock), early) as registry:
        ready = (await registry.client.get("/readyz")).json()

    assert list(ready["warnings"]) == ["calendar.2027"]
    with pytest.raises(ValueError, match="MM-DD"):
        await settings(calendar_warn_from="1 December")


async def test_a_year_entered_through_one_replica_is_in_force_on_the_other_within_seconds(
    settings: Settings,
) -> None:
    one = await settings()
    other = await settings(one.database_url)
    async with running(create_app, one) as first, running(create_app, other) as second:
        before = await second.client.get("/internal/v1/calendar/2031")
        assert (await put_year(first, 2031, SCHEDULE_2031)).status_code == 200
        # The periodic look is an hour away: the change comes by notification.
        await eventually(lambda: second.app.state.deps.calendar.version(2031) == 1, timeout=3)
        listed = await second.client.get("/internal/v1/calendar/2031")

    assert before.json()["source"] == "provisional_statutory_rule"
    assert (listed.json()["version"], listed.json()["source"]) == (1, "official_notice")
