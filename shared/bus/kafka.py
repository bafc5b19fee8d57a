"""Kafka bus on aiokafka."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, IllegalStateError
from aiokafka.structs import OffsetAndMetadata

from shared.bus.base import Message, Record, next_offsets
from shared.metrics import Metrics

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class KafkaConfig:
    """Connection settings; idempotence stays on for real Kafka."""

    bootstrap_servers: str
    client_id: str = "pledgeflow"
    enable_idempotence: bool = True
    linger_ms: int = 2
    partitions: int = 3
    replication_factor: int = 1
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    fetch_max_wait_ms: int = 500


class KafkaBus:
    """Publishes with acks from all in-sync replicas; subscribes with manual offset commits."""

    def __init__(self, config: KafkaConfig, metrics: Metrics | None = None) -> None:
        self.config = config
        self.metrics = metrics
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.config.bootstrap_servers,
            client_id=self.config.client_id,
            acks="all",
            enable_idempotence=self.config.enable_idempotence,
            linger_ms=self.config.linger_ms,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, records: Sequence[Record]) -> None:
        """Send all records, then wait for every acknowledgement."""
        if self._producer is None:
            raise RuntimeError("bus not started")
        pending = [
            await self._producer.send(
                r.topic, value=r.value, key=r.key.encode(), headers=list(r.headers)
            )
            for r in records
        ]
        for future in pending:
            await future
        if self.metrics is not None:
            self.metrics.broker_requests.labels("produce").inc()

    def subscribe(self, group: str, topics: Sequence[str]) -> KafkaSubscription:
        return KafkaSubscription(self.config, group, tuple(topics), self.metrics)

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        """Create missing topics with the configured partitions and replication."""
        await ensure_topics(self.config, topics)


async def ensure_topics(config: KafkaConfig, topics: Sequence[str]) -> None:
    """Create topics that do not exist yet; existing ones are left alone."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=config.bootstrap_servers, client_id=config.client_id
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if not missing:
            return
        response = await admin.create_topics(
            [NewTopic(t, config.partitions, config.replication_factor) for t in missing]
        )
        for name, code, *_ in response.topic_errors:
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"cannot create topic {name}: error code {code}")
    finally:
        await admin.close()


class KafkaSubscription:
    """A consumer-group member with auto-commit off."""

    def __init__(
        self,
        config: KafkaConfig,
        group: str,
        topics: tuple[str, ...],
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=config.bootstrap_servers,
            client_id=f"{config.client_id}-{group}",
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=config.session_timeout_ms,
            heartbeat_interval_ms=config.heartbeat_interval_ms,
            fetch_max_wait_ms=config.fetch_max_wait_ms,
        )
        # The next offset to process per partition: the first fetched, then the committed.
        self._next: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def poll(self, timeout: float, max_records: int = 100) -> list[Message]:
        batches = await self._consumer.getmany(
            timeout_ms=int(timeout * 1000), max_records=max_records
        )
        if self._metrics is not None:
            self._metrics.broker_requests.labels("fetch").inc()
        for tp, messages in batches.items():
            if messages:
                self._next.setdefault(tp, messages[0].offset)
        return [
            Message(
                topic=m.topic,
                partition=m.partition,
                offset=m.offset,
                key=m.key.decode() if m.key is not None else None,
                value=m.value,
                headers=tuple(m.headers),
            )
            for _, messages in sorted(batches.items())
            for m in messages
        ]

    async def commit(self, messages: Sequence[Message]) -> None:
        offsets = {
            TopicPartition(topic, partition): OffsetAndMetadata(offset, "")
            for (topic, partition), offset in next_offsets(messages).items()
        }
        if not offsets:
            return
        if self._metrics is not None:
            self._metrics.broker_requests.labels("commit").inc()
        try:
            await self._consumer.commit(offsets)
            for tp, committed in offsets.items():
                self._next[tp] = committed.offset
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning(
                "offset commit lost to a rebalance; the records will be redelivered",
                extra={"partitions": len(offsets), "error": str(exc)},
            )

    def lag(self) -> dict[tuple[str, int], int]:
        """The highwater mark the last fetch saw, less the next offset to process. A partition
        fetched from but never with records is caught up (a fetch returns what there is)."""
        found: dict[tuple[str, int], int] = {}
        for tp in self._consumer.assignment():
            try:
                highwater = self._consumer.highwater(tp)
            except AssertionError:  # revoked meanwhile
                continue
            if highwater is None:
                continue
            found[(tp.topic, tp.partition)] = max(highwater - self._next.get(tp, highwater), 0)
        return found
