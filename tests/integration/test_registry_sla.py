"""The deadline watch on PostgreSQL: a breach is announced once, across restarts and replicas."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import pytest

from services.registry.adapters.orm import metadata
from services.registry.app import create_app
from services.registry.domain.events import PLEDGES_TOPIC
from services.registry.settings import RegistrySettings
from shared.kernel.clock import ManualClock
from tests.conftest import MakeDatabase
from tests.integration.conftest import Running, eventually, running
from tests.integration.test_registry_examination import (
    act,
    as_examiner,
    beijing,
    claim,
    examined,
)
from tests.integration.test_registry_service import file, filing, instant, put_patent

pytestmark = pytest.mark.postgres

OUTBOX = metadata.tables["outbox"]
BREACHED = "registry.filing.sla_breached"


async def fresh_settings(make_database: MakeDatabase) -> RegistrySettings:
    return RegistrySettings(
        environment="test",
        database_url=await make_database("registry"),
        kafka_bootstrap_servers="memory://",
        http_port=0,
        outbox_poll_interval=0.05,
        sla_check_interval=0.05,
    )


async def announced(service: Running) -> list[str]:
    rows = await service.rows(OUTBOX, OUTBOX.c.event_type == BREACHED)
    return sorted(row["key"] for row in rows)


async def test_an_overdue_filing_is_announced_once_and_only_it(
    make_database: MakeDatabase,
) -> None:
    settings = await fresh_settings(make_database)
    clock = ManualClock(beijing(2026, 3, 2, 10))
    async with running(partial(create_app, clock=clock), settings) as registry:
        late = await examined(registry)
        suspended = (await examined(registry))["filing_id"]
        await claim(registry, suspended, "exa")
        fix = {"fields": ["debt_type"], "message": "Fix it."}
        await act(registry, suspended, "request-correction", "exa", fix)
        clean = await file(registry, filing(await put_patent(registry)))
        assert clean.json()["status"] == "registered"
        clock.set(beijing(2026, 3, 4, 10))
        on_time = await examined(registry)

        [event] = await eventually(lambda: registry.events(PLEDGES_TOPIC, BREACHED))
        await asyncio.sleep(0.5)

        assert len(registry.events(PLEDGES_TOPIC, BREACHED)) == 1
        assert event.aggregate_id == late["filing_id"]
        payload: dict[str, Any] = event.payload
        assert instant(payload["deadline_at"]) == instant(late["deadline_at"])
        assert instant(payload["breached_at"]) == clock.now()
        assert (payload["status"], payload["claimed_by"]) == ("in_examination", None)
        current = (await registry.client.get(f"/v1/pledge-filings/{late['filing_id']}")).json()
        assert instant(current["sla_breached_at"]) == clock.now()
        queue = await registry.client.get(
            "/internal/v1/examination/queue", headers=as_examiner("x")
        )
        overdue = {i["filing_id"]: i["overdue"] for i in queue.json()["items"]}
        assert overdue == {late["filing_id"]: True, on_time["filing_id"]: False}

    async with running(partial(create_app, clock=clock), settings) as restarted:
        await asyncio.sleep(0.3)
        assert await announced(restarted) == [late["filing_id"]]
        clock.set(beijing(2026, 3, 6, 10))
        await eventually(lambda: restarted.events(PLEDGES_TOPIC, BREACHED))
        assert await announced(restarted) == sorted([late["filing_id"], on_time["filing_id"]])


async def test_replicas_announce_each_breach_once(
    make_database: MakeDatabase,
) -> None:
    settings = await fresh_settings(make_database)
    clock = ManualClock(beijing(2026, 3, 2, 10))
    async with (
        running(partial(create_app, clock=clock), settings) as one,
        running(partial(create_app, clock=clock), settings) as other,
    ):
        ids = [(await examined(one))["filing_id"] for _ in range(8)]
        clock.set(beijing(2026, 3, 9, 10))

        async def all_announced() -> bool:
            return len(await announced(one)) >= len(ids)

        await eventually(all_announced)
        await asyncio.sleep(0.3)

        assert await announced(other) == sorted(ids)
        published = one.events(PLEDGES_TOPIC, BREACHED) + other.events(PLEDGES_TOPIC, BREACHED)
        assert sorted(e.aggregate_id for e in published) == sorted(ids)
