"""Readiness tells the truth about the broker and the consumers, and lost topics come back.

A service runs in-process on PostgreSQL against an embedded broker of its own, which the tests
stop and start again empty on the same port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from fastapi import FastAPI

from services.valuation.app import create_app
from services.valuation.settings import ValuationSettings
from shared.bus.base import Message
from shared.bus.memory import InMemoryBus, InMemorySubscription
from shared.devstack import (
    EMBEDDED_FETCH_MAX_WAIT_MS,
    EMBEDDED_HEARTBEAT_INTERVAL_MS,
    EMBEDDED_SESSION_TIMEOUT_MS,
    EmbeddedBroker,
)
from shared.topics import CREDIT_LOANS, REGISTRY_RIGHTS, VALUATIONS
from tests.conftest import MakeDatabase
from tests.integration.conftest import eventually

pytestmark = [pytest.mark.postgres, pytest.mark.broker]


async def settings(make_database: MakeDatabase, bootstrap: str, **changes: Any) -> Any:
    return ValuationSettings(
        environment="test",
        database_url=await make_database("valuation"),
        kafka_bootstrap_servers=bootstrap,
        kafka_enable_idempotence=False,
        kafka_session_timeout_ms=EMBEDDED_SESSION_TIMEOUT_MS,
        kafka_heartbeat_interval_ms=EMBEDDED_HEARTBEAT_INTERVAL_MS,
        kafka_fetch_max_wait_ms=EMBEDDED_FETCH_MAX_WAIT_MS,
        kafka_topic_check_interval=0.2,
        http_port=0,
        **changes,
    )


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


async def topic_configs(bootstrap: str, topics: Sequence[str]) -> dict[str, dict[str, str]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        resources = [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics if t in existing]
        found: dict[str, dict[str, str]] = {}
        for response in await admin.describe_configs(resources) if resources else []:
            for _code, _message, _type, name, entries in response.resources:
                found[name] = {entry[0]: entry[1] for entry in entries}
        return found
    finally:
        await admin.close()


async def test_readiness_follows_the_broker_and_its_lost_topics_come_back(
    make_database: MakeDatabase, own_broker: EmbeddedBroker
) -> None:
    bootstrap = own_broker.bootstrap_servers
    async with serving(create_app(await settings(make_database, bootstrap))) as client:
        assert (await client.get("/readyz")).status_code == 200
        created = await topic_configs(bootstrap, [REGISTRY_RIGHTS, CREDIT_LOANS, VALUATIONS])
        assert created[REGISTRY_RIGHTS]["cleanup.policy"] == "compact"
        assert created[CREDIT_LOANS]["retention.ms"] == str(7 * 24 * 3600 * 1000)

        own_broker.stop()

        async def unready() -> dict[str, Any] | None:
            answer = await client.get("/readyz")
            return answer.json() if answer.status_code == 503 else None

        body = await eventually(unready, timeout=30)
        assert body["status"] == "unavailable"
        assert body["problems"]["broker"].startswith("unreachable for")
        assert "database" not in body["problems"]

        own_broker.start()

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready, timeout=30)
        recreated = await topic_configs(bootstrap, [REGISTRY_RIGHTS, CREDIT_LOANS, VALUATIONS])
    assert set(recreated) == {REGISTRY_RIGHTS, CREDIT_LOANS, VALUATIONS}
    assert recreated[REGISTRY_RIGHTS]["cleanup.policy"] == "compact"
    assert recreated[VALUATIONS]["retention.ms"] == str(7 * 24 * 3600 * 1000)


class Unassigned(InMemorySubscription):
    """A group member the broker never gives a partition (its group is full, say)."""

    def assigned(self) -> bool:
        return False

    async def poll(self, timeout: float, max_records: int = 100) -> list[Message]:
        await asyncio.sleep(timeout)
        return []


class NoPartitions(InMemoryBus):
    def subscribe(self, group: str, topics: Sequence[str]) -> InMemorySubscription:
        return Unassigned(self, group, tuple(topics))


async def test_a_consumer_left_without_partitions_makes_the_service_unready_after_the_grace(
    make_database: MakeDatabase,
) -> None:
    patient = await settings(make_database, "memory://", consumer_assignment_grace=60)
    async with serving(create_app(patient, bus=NoPartitions())) as client:
        within_the_grace = await client.get("/readyz")
        assert within_the_grace.status_code == 200, within_the_grace.text

    configured = await settings(make_database, "memory://", consumer_assignment_grace=0.3)
    async with serving(create_app(configured, bus=NoPartitions())) as client:

        async def unready() -> dict[str, Any] | None:
            answer = await client.get("/readyz")
            return answer.json() if answer.status_code == 503 else None

        body = await eventually(unready, timeout=10)
    assert set(body["problems"]) == {
        "consumer valuation.rights",
        "consumer valuation.applications",
        "consumer valuation.ledger",
    }
    assert body["problems"]["consumer valuation.rights"].startswith("no partition assigned for")
