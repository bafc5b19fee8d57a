"""A batch fetched before the broker lost everything is not committed to the broker that came
back: its offsets describe the old logs and would make the group skip records of the new ones."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.bus.base import Message, Record
from shared.bus.kafka import KafkaBus, KafkaConfig
from shared.devstack import (
    EMBEDDED_FETCH_MAX_WAIT_MS,
    EMBEDDED_HEARTBEAT_INTERVAL_MS,
    EMBEDDED_SESSION_TIMEOUT_MS,
    EmbeddedBroker,
)
from shared.topics import TopicSettings

pytestmark = pytest.mark.broker


async def committed(broker: str, group: str, topic: str) -> dict[int, int | None]:
    reader = AIOKafkaConsumer(bootstrap_servers=broker, group_id=group)
    await reader.start()
    try:
        return {p: await reader.committed(TopicPartition(topic, p)) for p in range(3)}
    finally:
        await reader.stop()


async def test_a_batch_fetched_from_the_lost_logs_is_not_committed_to_the_new_ones(
    own_broker: EmbeddedBroker,
) -> None:
    bootstrap = own_broker.bootstrap_servers
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
    topic, group = f"commits.{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    await bus.start()
    await bus.ensure_topics([topic])
    await bus.publish([Record(topic, f"k{i}", b"old") for i in range(30)])
    member = bus.subscribe(group, [topic])
    await member.start()
    try:
        stale: list[Message] = []
        while len(stale) < 30:
            stale += await member.poll(timeout=0.5)

        own_broker.stop()
        own_broker.start()
        await bus.ensure_topics([topic])
        await asyncio.sleep(6)  # the member joins the group anew on the broker that came back

        await member.commit(stale)
        assert set((await committed(bootstrap, group, topic)).values()) == {None}
        await bus.publish([Record(topic, f"k{i}", b"new") for i in range(30)])
        fresh: list[Message] = []
        for _ in range(40):
            fresh += await member.poll(timeout=0.5)
            if len(fresh) >= 30:
                break
        assert [m.value for m in fresh] == [b"new"] * 30
    finally:
        await member.stop()
        await bus.stop()
