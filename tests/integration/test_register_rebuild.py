"""Valuation's read model of the register is rebuilt from the registry's compacted topic, on
PostgreSQL with the real migrations and an embedded broker."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from services.valuation.adapters.orm import rights
from services.valuation.entrypoints import rebuild
from services.valuation.settings import ValuationSettings
from shared.db import create_engine
from shared.devstack import EmbeddedBroker
from shared.envelope import Envelope
from shared.topics import REGISTRY_RIGHTS
from tests.conftest import MakeDatabase
from tests.unit.valuation_harness import (
    PATENT,
    TRADEMARK,
    envelope,
    patent_payload,
    trademark_payload,
)

pytestmark = [pytest.mark.postgres, pytest.mark.broker]


async def publish(bootstrap: str, events: list[Envelope | bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for event in events:
            if isinstance(event, bytes):
                await producer.send_and_wait(REGISTRY_RIGHTS, event, key=b"broken")
            else:
                value, key = event.to_json(), event.aggregate_id.encode()
                await producer.send_and_wait(REGISTRY_RIGHTS, value, key=key)
    finally:
        await producer.stop()


async def stored(database_url: str) -> dict[str, tuple[int, bool, str]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(rights.c.number, rights.c.source_event_version, rights.c.frozen).add_columns(
                    rights.c.legal_status
                )
            )
            return {r.number: (r.source_event_version, r.frozen, r.legal_status) for r in rows}
    finally:
        await engine.dispose()


async def test_the_register_read_model_is_rebuilt_from_the_topic(
    make_database: MakeDatabase, own_broker: EmbeddedBroker
) -> None:
    await publish(
        own_broker.bootstrap_servers,
        [
            envelope("registry.patent.recorded", PATENT, patent_payload(PATENT), 1),
            envelope("registry.trademark.recorded", TRADEMARK, trademark_payload(TRADEMARK), 1),
            envelope("registry.patent.recorded", PATENT, patent_payload(PATENT, frozen=True), 2),
            b"not an event",
        ],
    )
    settings = ValuationSettings(
        environment="test",
        database_url=await make_database("valuation"),
        kafka_bootstrap_servers=own_broker.bootstrap_servers,
    )

    done = await rebuild.rebuild_register(own_broker.bootstrap_servers, settings)

    assert done == rebuild.Rebuilt(records=4, refused=1, rights_before=0, rights_after=2)
    assert await stored(settings.database_url) == {
        PATENT: (2, True, "valid"),
        TRADEMARK: (1, False, "valid"),
    }
    again = await asyncio.to_thread(
        rebuild.main,
        ["--bootstrap", own_broker.bootstrap_servers, "--database-url", settings.database_url],
    )
    assert again == 0
    assert (await stored(settings.database_url))[PATENT] == (2, True, "valid")
