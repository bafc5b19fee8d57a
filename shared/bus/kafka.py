"""Kafka bus on aiokafka."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import CommitFailedError, IllegalStateError, IncompatibleBrokerVersion
from aiokafka.structs import OffsetAndMetadata

from shared.bus.base import Message, Record, next_offsets
from shared.metrics import Metrics
from shared.topics import TopicSettings

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class KafkaConfig:
    """Connection settings; idempotence stays on for real Kafka."""

    bootstrap_servers: str
    client_id: str = "pledgeflow"
    enable_idempotence: bool = True
    linger_ms: int = 2
    topics: TopicSettings = field(default_factory=TopicSettings)
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

    async def ensure_topics(self, topics: Sequence[str]) -> TopicCheck:
        """Create missing topics with their settings; report existing ones that differ."""
        return await ensure_topics(self.config, topics)


@dataclass(frozen=True)
class TopicCheck:
    """What a check of the topics found: the ones it created, and settings it could not fix."""

    created: tuple[str, ...] = ()
    differing: dict[str, str] = field(default_factory=dict)


async def ensure_topics(config: KafkaConfig, topics: Sequence[str]) -> TopicCheck:
    """Create topics that do not exist yet with their settings (`TopicSettings.configs`).

    Existing topics keep their partitions; a topic whose configuration differs (one created by
    a producer's metadata request while the services were away, say) is altered, and reported
    when the broker cannot alter it.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=config.bootstrap_servers,
        client_id=config.client_id,
        request_timeout_ms=10_000,
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            await _create(admin, config.topics, missing)
            log.warning("created missing topics", extra={"topics": missing})
        present = [t for t in topics if t in existing]
        differing = await _align(admin, config.topics, present) if present else {}
        return TopicCheck(tuple(missing), differing)
    finally:
        await admin.close()


def new_topics(settings: TopicSettings, topics: Sequence[str]) -> list[NewTopic]:
    """The create requests of `topics`, each with its configuration."""
    return [
        NewTopic(
            topic,
            settings.partitions,
            settings.replication_factor,
            topic_configs=settings.configs(topic),
        )
        for topic in topics
    ]


async def _create(admin: AIOKafkaAdminClient, settings: TopicSettings, topics: list[str]) -> None:
    response = await admin.create_topics(new_topics(settings, topics))
    for name, code, *_ in response.topic_errors:
        if code not in (0, TOPIC_ALREADY_EXISTS):
            raise RuntimeError(f"cannot create topic {name}: error code {code}")


async def _align(
    admin: AIOKafkaAdminClient, settings: TopicSettings, topics: list[str]
) -> dict[str, str]:
    """Alter topics whose configuration differs; what could not be aligned, by topic."""
    resources = [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
    found: dict[str, dict[str, str]] = {}
    for response in await admin.describe_configs(resources):
        for _code, _message, _type, name, entries in response.resources:
            found[name] = {entry[0]: entry[1] for entry in entries}
    differing = {
        topic: ", ".join(
            f"{key}={value} (has {found.get(topic, {}).get(key, 'default')})"
            for key, value in sorted(settings.configs(topic).items())
            if found.get(topic, {}).get(key) != value
        )
        for topic in topics
    }
    differing = {topic: detail for topic, detail in differing.items() if detail}
    if not differing:
        return {}
    try:
        await admin.alter_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, topic, settings.configs(topic))
                for topic in differing
            ]
        )
    except IncompatibleBrokerVersion:
        return {topic: f"cannot be altered here: {detail}" for topic, detail in differing.items()}
    return {}


class _Assignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """Counts the assignments a member received, so a batch fetched under an earlier one is
    never committed under a later one."""

    def __init__(self) -> None:
        self.generation = 0

    async def on_partitions_revoked(self, revoked: object) -> None:
        return None

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.generation += 1


class KafkaSubscription:
    """A consumer-group member with auto-commit off.

    Offsets are committed only for a batch fetched under the member's current assignment: after
    a rebalance (or a broker that came back empty and a group joined anew) the batch's offsets
    may not describe the partitions' logs any more, and committing them could skip records of
    the new log. Such a batch is redelivered instead, and the inbox skips what it had handled.
    """

    def __init__(
        self,
        config: KafkaConfig,
        group: str,
        topics: tuple[str, ...],
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._topics = topics
        self._assignments = _Assignments()
        self._fetched_under = 0
        self._consumer = AIOKafkaConsumer(
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
        self._consumer.subscribe(self._topics, listener=self._assignments)
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def poll(self, timeout: float, max_records: int = 100) -> list[Message]:
        batches = await self._consumer.getmany(
            timeout_ms=int(timeout * 1000), max_records=max_records
        )
        self._fetched_under = self._assignments.generation
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

    def assigned(self) -> bool:
        return bool(self._consumer.assignment())

    async def commit(self, messages: Sequence[Message]) -> None:
        offsets = {
            TopicPartition(topic, partition): OffsetAndMetadata(offset, "")
            for (topic, partition), offset in next_offsets(messages).items()
        }
        if not offsets:
            return
        if self._fetched_under != self._assignments.generation:
            log.warning(
                "partitions reassigned since the batch was fetched; its records will be "
                "redelivered",
                extra={"partitions": len(offsets)},
            )
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
