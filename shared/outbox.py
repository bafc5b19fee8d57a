"""Transactional outbox: events are rows committed with the state change; a relay ships them.

One relay per service publishes at a time: it holds a lease in the service's database
(`relay_leases`) that it renews while it works and that expires after `lease_seconds` if it
stops renewing (a frozen process, one cut off from the database) or gives up when the broker
refuses its records. Another replica then takes the lease over, so no replica can stop the
others from publishing for longer than the lease. Rows are published in commit order per key
(the outbox id order; writes to one aggregate are serialised), no transaction is held open
while the broker acknowledges, and a commit in any replica wakes the relay at once
(PostgreSQL NOTIFY from the outbox insert), with a poll as the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from opentelemetry.trace import Span, SpanKind, StatusCode
from prometheus_client.metrics_core import Metric
from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from shared.bus.base import EventBus, Record
from shared.envelope import Envelope
from shared.metrics import Metrics, gauge
from shared.tracing import TRACEPARENT, Tracing, context_of, span_traceparent

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "pledgeflow_outbox"


# An event to publish: its topic, the event, and the W3C traceparent of the work that made it.
Staged = tuple[str, Envelope, str | None]


async def add_to_outbox(session: AsyncSession, table: Table, staged: list[Staged]) -> None:
    """Stage events in the caller's transaction, in one statement; they leave only if that
    transaction commits."""
    if not staged:
        return
    now = datetime.now(UTC)
    await session.execute(
        table.insert(),
        [
            {
                "event_id": envelope.event_id,
                "topic": topic,
                "key": envelope.aggregate_id,
                "event_type": envelope.event_type,
                "body": envelope.to_json().decode(),
                "correlation_id": envelope.correlation_id,
                "traceparent": traceparent,
                "created_at": now,
            }
            for topic, envelope, traceparent in staged
        ],
    )


def record_headers(
    event_type: str, correlation_id: str, traceparent: str | None = None
) -> tuple[tuple[str, bytes], ...]:
    """Headers that let a subscriber filter without parsing the body, and the W3C trace
    context (`traceparent`) the subscriber continues."""
    headers = [("event_type", event_type.encode()), ("correlation_id", correlation_id.encode())]
    if traceparent:
        headers.append((TRACEPARENT, traceparent.encode()))
    return tuple(headers)


class RelayLease:
    """The right to publish a service's outbox, held for `seconds` at a time in its database.

    Time is the database's, so replicas' clocks need not agree. On SQLite (one process) the
    lease is always held.
    """

    def __init__(self, engine: AsyncEngine, table: Table, name: str, seconds: float) -> None:
        self._engine = engine
        self._table = table
        self._name = name
        self._seconds = seconds
        # Names the replica holding the lease, for operators: service, host, process, and a
        # nonce that tells a restarted process apart.
        host = socket.gethostname()[:40]
        self.holder = f"{name}-{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._renew_after = 0.0
        self._held_until = 0.0
        self._sqlite = engine.dialect.name == "sqlite"

    async def hold(self) -> bool:
        """Whether this relay holds the lease now, taking or renewing it when due."""
        if self._sqlite:
            return True
        now = time.monotonic()
        if now < self._renew_after:
            return True
        statement = text(
            "INSERT INTO relay_leases (name, holder, expires_at) "
            "VALUES (:name, :holder, now() + make_interval(secs => :seconds)) "
            "ON CONFLICT (name) DO UPDATE SET holder = :holder, expires_at = EXCLUDED.expires_at "
            "WHERE relay_leases.holder = :holder OR relay_leases.expires_at < now() "
            "RETURNING holder"
        )
        async with self._engine.begin() as connection:
            held = await connection.scalar(
                statement, {"name": self._name, "holder": self.holder, "seconds": self._seconds}
            )
        if held == self.holder:
            self._renew_after = now + self._seconds / 3
            self._held_until = now + self._seconds
            return True
        self._renew_after = 0.0
        self._held_until = 0.0
        return False

    def still_held(self) -> bool:
        """Whether the lease taken or renewed last has not run out by this process's clock
        (it has if the process was frozen or stalled since): then another relay may hold it."""
        return self._sqlite or time.monotonic() < self._held_until

    async def release(self) -> None:
        """Give the lease up at once (the broker refused us; let another replica try)."""
        self._renew_after = 0.0
        self._held_until = 0.0
        if self._sqlite:
            return
        with contextlib.suppress(Exception):
            async with self._engine.begin() as connection:
                await connection.execute(
                    text(
                        "UPDATE relay_leases SET expires_at = now() "
                        "WHERE name = :name AND holder = :holder"
                    ),
                    {"name": self._name, "holder": self.holder},
                )


class OutboxRelay:
    """Publishes unsent outbox rows in commit order per key and marks them sent (at least once)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        bus: EventBus,
        *,
        name: str,
        batch_size: int = 500,
        poll_interval: float = 0.5,
        lease_seconds: float = 5.0,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
        before_publish: Callable[[], Awaitable[None]] | None = None,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        self._metrics = metrics
        self._tracing = tracing or Tracing(name)
        self._before_publish = before_publish
        self._on_failure = on_failure
        self._sessions = sessions
        self._table = table
        self._bus = bus
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        engine = sessions.kw["bind"]
        assert isinstance(engine, AsyncEngine)
        self._engine = engine
        self.lease = RelayLease(engine, table.metadata.tables["relay_leases"], name, lease_seconds)
        self._channel = f"{NOTIFY_CHANNEL}_{name}"
        self._wakeup = asyncio.Event()
        self._listening: Any = None
        self.published = 0
        self._select = (
            select(table.c.id, table.c.topic, table.c.key, table.c.body, table.c.event_type)
            .add_columns(table.c.correlation_id, table.c.created_at, table.c.traceparent)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.id)
            .limit(batch_size)
        )
        self._mark = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(published_at=bindparam("published_at"))
        )

    def _publishing(self, row: Any) -> Span:
        """A producer span for one record, continuing the trace of the work that made it."""
        return self._tracing.tracer.start_span(
            f"publish {row.topic}",
            context=context_of(row.traceparent),
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "publish",
                "messaging.destination.name": row.topic,
                "messaging.kafka.message.key": row.key,
                "pledgeflow.event_type": row.event_type,
                "pledgeflow.correlation_id": row.correlation_id,
            },
        )

    def notify(self) -> None:
        """Tell the relay that new rows were committed."""
        self._wakeup.set()

    async def run(self) -> None:
        """Relay until cancelled, backing off while the broker or database is unavailable."""
        backoff = 0.1
        await self._listen()
        try:
            while True:
                try:
                    sent = await self.relay_once()
                    backoff = 0.1
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay failed; retrying", extra={"backoff": backoff})
                    if self._on_failure is not None:
                        self._on_failure()
                    await self.lease.release()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if sent < self._batch_size:
                    await self._wait()
        finally:
            await self._unlisten()

    async def _wait(self) -> None:
        try:
            async with asyncio.timeout(self._poll_interval):
                await self._wakeup.wait()
        except TimeoutError:
            pass
        self._wakeup.clear()

    async def relay_once(self) -> int:
        """Publish one batch if this relay holds the lease; returns how many rows were sent."""
        if not await self.lease.hold():
            return 0
        async with self._engine.connect() as connection:
            rows = (await connection.execute(self._select)).all()
        if not rows:
            return 0
        if self._before_publish is not None:
            await self._before_publish()
        if not self.lease.still_held():
            return 0
        started = time.perf_counter()
        spans = [self._publishing(row) for row in rows] if self._tracing.enabled else []
        try:
            await self._bus.publish(
                [
                    Record(
                        topic=row.topic,
                        key=row.key,
                        value=row.body.encode(),
                        headers=record_headers(
                            row.event_type,
                            row.correlation_id,
                            span_traceparent(spans[i]) if spans else row.traceparent,
                        ),
                    )
                    for i, row in enumerate(rows)
                ]
            )
        except BaseException as exc:
            for span in spans:
                span.record_exception(exc)
                span.set_status(StatusCode.ERROR)
            raise
        finally:
            for span in spans:
                span.end()
        sent_at = datetime.now(UTC)
        async with self._engine.begin() as connection:
            await connection.execute(
                self._mark, [{"row_id": row.id, "published_at": sent_at} for row in rows]
            )
        self.published += len(rows)
        if self._metrics is not None:
            self._metrics.relay_publish_duration.observe(time.perf_counter() - started)
            self._metrics.relay_published.inc(len(rows))
            for row in rows:
                self._metrics.relay_delay.observe((sent_at - row.created_at).total_seconds())
        return len(rows)

    async def figures(self, connection: AsyncConnection) -> list[Metric]:
        """The backlog and the age of its oldest row, as gauges (read at scrape time)."""
        t = self._table
        count, oldest = (
            await connection.execute(
                select(func.count(), func.min(t.c.created_at)).where(t.c.published_at.is_(None))
            )
        ).one()
        backlog = gauge("pledgeflow_outbox_backlog", "Outbox rows committed but not yet published")
        backlog.add_metric([], count)
        age = gauge(
            "pledgeflow_outbox_oldest_unsent_age_seconds",
            "Age of the oldest outbox row not yet published (0 when there is none)",
        )
        age.add_metric([], (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0)
        return [backlog, age]

    async def backlog(self) -> int:
        """Rows not yet published."""
        t = self._table
        async with self._sessions() as session:
            result = await session.execute(
                select(t.c.id).where(t.c.published_at.is_(None)).limit(10_000)
            )
            return len(result.all())

    async def _listen(self) -> None:
        """Wake on commits of every replica (PostgreSQL); the poll covers everything else."""
        if self._engine.dialect.name != "postgresql":
            return
        try:
            connection = await self._engine.connect()
        except Exception:
            log.warning("commit notifications unavailable; polling", exc_info=True)
            return
        try:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.add_listener(self._channel, self._on_notify)
        except BaseException as exc:
            await asyncio.shield(connection.close())
            if not isinstance(exc, Exception):
                raise
            log.warning("commit notifications unavailable; polling", exc_info=True)
            return
        self._listening = (connection, driver)

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def _unlisten(self) -> None:
        if self._listening is None:
            return
        connection, driver = self._listening
        self._listening = None
        with contextlib.suppress(Exception):
            await driver.remove_listener(self._channel, self._on_notify)
        with contextlib.suppress(Exception):
            await connection.close()
