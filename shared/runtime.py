"""A service's moving parts: database, bus, outbox relay and consumers, run together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any

from prometheus_client.metrics_core import Metric
from sqlalchemy import MetaData

from shared.broker_watch import BrokerWatch
from shared.bus.base import EventBus
from shared.bus.kafka import KafkaBus, KafkaConfig
from shared.bus.memory import InMemoryBus
from shared.consumer import ConsumerSpec, EventConsumer
from shared.db import create_engine, ping, session_factory
from shared.ledger import Ledger
from shared.ledger_heads import HeadPublisher, RecordWitnessedHead, record_witnessed_head
from shared.messagebus import MessageBus, On
from shared.metrics import FigureSource, Metrics
from shared.outbox import OutboxRelay
from shared.periodic import every
from shared.retention import Purger, RetentionPolicy
from shared.settings import ServiceSettings
from shared.topics import LEDGER_HEADS, dead_letter_topic
from shared.tracing import Tracing
from shared.uow import SqlUnitOfWork, Storage

log = logging.getLogger(__name__)

__all__ = ["Bootstrap", "ConsumerSpec", "ServiceRuntime", "make_bus"]

STOP_TIMEOUT = 10.0


Bootstrap = Callable[[Callable[[], Any]], MessageBus[Any]]


def make_bus(settings: ServiceSettings, client_id: str, metrics: Metrics | None = None) -> EventBus:
    """The Kafka bus named by the settings (`memory://` gives a process-local bus)."""
    if settings.kafka_bootstrap_servers.startswith("memory://"):
        return InMemoryBus(partitions=settings.kafka_partitions)
    return KafkaBus(
        KafkaConfig(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=client_id,
            enable_idempotence=settings.kafka_enable_idempotence,
            topics=settings.topic_settings,
            session_timeout_ms=settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
            fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        ),
        metrics,
    )


def retention_policy(settings: ServiceSettings) -> RetentionPolicy:
    """How long the settings keep published outbox rows, event ids and idempotency keys."""
    return RetentionPolicy(
        outbox=settings.outbox_retention,
        inbox=settings.inbox_retention,
        idempotency_keys=settings.idempotency_key_retention,
        batch_size=settings.purge_batch_size,
    )


class ServiceRuntime:
    """Owns the engine, the bus, the relay task and the consumer tasks of one service."""

    def __init__(
        self,
        service: str,
        settings: ServiceSettings,
        metadata: MetaData,
        unit_of_work: Callable[[Storage], SqlUnitOfWork],
        bootstrap: Bootstrap,
        consumers: Sequence[ConsumerSpec] = (),
        produces: Sequence[str] = (),
        bus: EventBus | None = None,
        decisions: Iterable[str] = (),
    ) -> None:
        self.service = service
        self.settings = settings
        self._metadata = metadata
        self._unit_of_work = unit_of_work
        self._bootstrap = bootstrap
        self._consumer_specs = tuple(consumers)
        self._produces = (*produces, LEDGER_HEADS)
        self.ledger = Ledger(metadata.tables, decisions)
        self.metrics = Metrics()
        self.tracing = Tracing(
            service,
            settings.tracing_exporter,
            settings.tracing_otlp_endpoint,
            settings.tracing_sample_ratio,
        )
        self.bus = bus or make_bus(
            settings, client_id=f"pledgeflow-{service}", metrics=self.metrics
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._workers: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = []
        self._warning_sources: list[Callable[[], dict[str, str]]] = []
        self._startup: list[tuple[str, Callable[[], Coroutine[Any, Any, object]]]] = []
        self.consumers: list[EventConsumer] = []
        self._figure_readers: list[FigureSource] = []
        self.metrics.lag_source = lambda: {c.name: c.lag() for c in self.consumers}
        self.metrics.add_figures(self._read_figures)
        self.broker_watch: BrokerWatch | None = None

    async def start(self) -> None:
        """Connect, make sure topics exist, and start relaying and consuming."""
        self.engine = create_engine(
            self.settings.database_url,
            idle_in_transaction_seconds=self.settings.database_idle_in_transaction_seconds,
        )
        self.metrics.watch_engine(self.engine)
        self.tracing.instrument_engine(self.engine)
        sessions = session_factory(self.engine)
        await self.bus.start()
        if isinstance(self.bus, KafkaBus):
            self.broker_watch = BrokerWatch(
                self.bus.ensure_topics,
                self.topics(),
                interval=self.settings.kafka_topic_check_interval,
            )
            await self.broker_watch.check()
        watch = self.broker_watch
        self.relay = OutboxRelay(
            sessions,
            self._metadata.tables["outbox"],
            self.bus,
            name=self.service,
            poll_interval=self.settings.outbox_poll_interval,
            lease_seconds=self.settings.outbox_lease_seconds,
            metrics=self.metrics,
            tracing=self.tracing,
            before_publish=watch.before_publish if watch else None,
            on_failure=watch.suspect if watch else None,
        )
        self.storage = Storage(
            sessions=sessions,
            outbox=self._metadata.tables["outbox"],
            processed=self._metadata.tables["processed_messages"],
            producer=self.service,
            on_commit=self.relay.notify,
            ledger=self.ledger,
        )
        self.purger = Purger(
            self.engine,
            self._metadata.tables["outbox"],
            self._metadata.tables["processed_messages"],
            retention_policy(self.settings),
        )
        self.messages = self._bootstrap(self.unit_of_work)
        self.messages.tracer = self.tracing.tracer
        self.messages.add(RecordWitnessedHead, On(record_witnessed_head))
        self.heads = HeadPublisher(self.service, self.storage)
        self.consumers = [
            EventConsumer(
                spec.name,
                self.bus,
                spec.topics,
                spec.reactions,
                self.messages,
                metrics=self.metrics,
                tracing=self.tracing,
            )
            for spec in self._consumer_specs
        ]
        self._tasks = [asyncio.create_task(self.relay.run(), name=f"{self.service}-relay")]
        self._tasks.append(
            asyncio.create_task(
                every(self.settings.ledger_head_interval, self.heads.publish),
                name=f"{self.service}-ledger-heads",
            )
        )
        self._tasks += [
            asyncio.create_task(c.run(), name=f"{self.service}-{c.name}") for c in self.consumers
        ]
        self._tasks += [
            asyncio.create_task(run(), name=f"{self.service}-{name}") for name, run in self._workers
        ]
        interval = self.settings.purge_interval
        self._tasks.append(
            asyncio.create_task(
                every(interval, self.purger.purge, first_delay=min(interval, 60.0)),
                name=f"{self.service}-purge",
            )
        )
        if watch is not None:
            self._tasks.append(asyncio.create_task(watch.run(), name=f"{self.service}-broker"))
        for name, step in self._startup:
            try:
                await step()
            except Exception:
                log.exception("start-up step failed; its worker retries", extra={"step": name})

    def add_figures(self, read: FigureSource) -> None:
        """Add gauges this service reads from its database when its metrics are scraped."""
        self._figure_readers.append(read)

    async def _read_figures(self) -> list[Metric]:
        if not hasattr(self, "relay"):
            return []
        async with self.engine.connect() as connection:
            found = await self.relay.figures(connection)
            for read in self._figure_readers:
                found.extend(await read(connection))
        return found

    def add_warnings(self, source: Callable[[], dict[str, str]]) -> None:
        """Add what an operator should act on although the service is ready (see `warnings`)."""
        self._warning_sources.append(source)

    def warnings(self) -> dict[str, str]:
        """What an operator should act on although the service is ready, by subject."""
        found: dict[str, str] = {}
        if self.broker_watch is not None:
            found.update(self.broker_watch.warnings())
        for source in self._warning_sources:
            found.update(source())
        return found

    def add_startup(self, name: str, step: Callable[[], Coroutine[Any, Any, object]]) -> None:
        """Run a service's own step once the runtime is up, before it is used (before start)."""
        self._startup.append((name, step))

    def add_worker(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run a service's own background work beside the relay and consumers (before start)."""
        self._workers.append((name, run))

    def topics(self) -> list[str]:
        """Every topic this service writes or reads, with its dead-letter topics."""
        names = set(self._produces)
        for spec in self._consumer_specs:
            names.update(spec.topics)
            names.add(dead_letter_topic(spec.name))
        return sorted(names)

    def unit_of_work(self) -> SqlUnitOfWork:
        """A fresh unit of work on this service's database."""
        return self._unit_of_work(self.storage)

    async def stop(self) -> None:
        """Cancel the workers, then close the bus and the engine."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT)
            for task in pending:
                log.error("worker did not stop in time", extra={"task": task.get_name()})
        self._tasks = []
        await self.bus.stop()
        await self.engine.dispose()
        self.tracing.flush()

    async def readiness(self) -> dict[str, str]:
        """What is not ready, by component; empty when all is well."""
        problems: dict[str, str] = {}
        try:
            await ping(self.engine)
        except Exception as exc:
            problems["database"] = repr(exc)
        for task in self._tasks:
            if task.done():
                problems[task.get_name()] = "stopped"
        if self.broker_watch is not None:
            problems.update(self.broker_watch.problems())
        problems.update(self.assignment_problems())
        return problems

    def assignment_problems(self) -> dict[str, str]:
        """Consumers that have had no partition for longer than the configured grace."""
        grace = self.settings.consumer_assignment_grace
        if grace <= 0:
            return {}
        return {
            f"consumer {consumer.name}": f"no partition assigned for {waited:.0f}s"
            for consumer in self.consumers
            if (waited := consumer.unassigned_for()) > grace
        }
