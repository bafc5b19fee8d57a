"""Both bus implementations behind one fixture, so every contract test runs on each."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.bus.base import EventBus
from shared.bus.kafka import KafkaBus, KafkaConfig
from shared.bus.memory import InMemoryBus
from shared.devstack import (
    EMBEDDED_FETCH_MAX_WAIT_MS,
    EMBEDDED_HEARTBEAT_INTERVAL_MS,
    EMBEDDED_SESSION_TIMEOUT_MS,
)
from shared.topics import TopicSettings


@pytest.fixture(params=["memory", "kafka"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    """An in-memory bus, or an aiokafka bus on the embedded broker."""
    if request.param == "memory":
        bus: EventBus = InMemoryBus(partitions=3)
    else:
        bootstrap = request.getfixturevalue("broker")
        bus = KafkaBus(
            KafkaConfig(
                bootstrap_servers=bootstrap,
                enable_idempotence=False,
                topics=TopicSettings(partitions=3),
                session_timeout_ms=EMBEDDED_SESSION_TIMEOUT_MS,
                heartbeat_interval_ms=EMBEDDED_HEARTBEAT_INTERVAL_MS,
                fetch_max_wait_ms=EMBEDDED_FETCH_MAX_WAIT_MS,
            )
        )
    await bus.start()
    try:
        yield bus
    finally:
        await bus.stop()
