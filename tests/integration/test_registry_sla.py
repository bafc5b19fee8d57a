"""The deadline watch on PostgreSQL: replicas sharing a database announce each breach once.

The watch itself (once per filing, never on a provisional deadline, not again after a
restart) is tested on in-memory storage in tests/unit/test_registry_calendar_api.py.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from functools import partial

import pytest

from services.registry.adapters.orm import metadata
from services.registry.app import create_app
from services.registry.domain.events import PLEDGES_TOPIC
from services.registry.settings import RegistrySettings
from shared.kernel.clock import ManualClock
from tests.conftest import MakeDatabase
from tests.integration.conftest import Running, eventually, running
from tests.unit.registry_harness import beijing, examined

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


async def figures(service: Running) -> dict[str, float]:
    """The registry's filing gauges as scraped from its /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    response = await service.client.get("/metrics")
    assert response.status_code == 200
    return {
        sample.name + "".join(f"{{{v}}}" for v in sample.labels.values()): sample.value
        for family in text_string_to_metric_families(response.text)
        if family.name.startswith("pledgeflow_registry_filings")
        for sample in family.samples
    }


async def test_metrics_show_filings_open_then_due_today_then_overdue_and_breached(
    make_database: MakeDatabase,
) -> None:
    settings = await fresh_settings(make_database)
    clock = ManualClock(beijing(2026, 3, 2, 10))
    async with running(partial(create_app, clock=clock), settings) as registry:
        filed = [await examined(registry) for _ in range(2)]
        deadline = datetime.fromisoformat(filed[0]["deadline_at"])
        assert {f["deadline_at"] for f in filed} == {filed[0]["deadline_at"]}
        shown = await figures(registry)
        assert shown["pledgeflow_registry_filings_open{in_examination}"] == 2
        assert shown["pledgeflow_registry_filings_due_today"] == 0
        assert shown["pledgeflow_registry_filings_overdue"] == 0

        clock.set(deadline - timedelta(hours=3))  # 21:00 Beijing time on the last day
        await asyncio.sleep(1.1)  # figures are read at most once a second
        shown = await figures(registry)
        assert shown["pledgeflow_registry_filings_due_today"] == 2
        assert shown["pledgeflow_registry_filings_overdue"] == 0

        clock.set(deadline + timedelta(minutes=1))
        await eventually(lambda: len_announced(registry, 2))
        await asyncio.sleep(1.1)
        shown = await figures(registry)
        assert shown["pledgeflow_registry_filings_due_today"] == 0
        assert shown["pledgeflow_registry_filings_overdue"] == 2
        assert shown["pledgeflow_registry_filings_sla_breached"] == 2
        assert shown["pledgeflow_registry_filings_open{in_examination}"] == 2


async def len_announced(service: Running, count: int) -> bool:
    return len(await announced(service)) >= count
