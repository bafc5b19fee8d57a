"""Transactional outbox: events are rows committed with the state change; a relay ships them."""

from __future__ import annotations

import asyncio
import logging
import zlib
from datetime import UTC, datetime

from sqlalchemy import Table, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus.base import EventBus, Record
from shared.envelope import Envelope

log = logging.getLogger(__name__)


async def add_to_outbox(
    session: AsyncSession, table: Table, topic: str, envelope: Envelope
) -> None:
    """Stage an event in the caller's transaction; it leaves only if that transaction commits."""
    await session.execute(
        table.insert().values(
            event_id=envelope.event_id,
            topic=topic,
            key=envelope.aggregate_id,
            event_type=envelope.event_type,
            body=envelope.to_json().decode(),
            correlation_id=envelope.correlation_id,
            created_at=datetime.now(UTC),
        )
    )


def record_headers(event_type: str, correlation_id: str) -> tuple[tuple[str, bytes], ...]:
    """Headers that let a subscriber filter without parsing the body."""
    return (("event_type", event_type.encode()), ("correlation_id", correlation_id.encode()))


class OutboxRelay:
    """Publishes unsent outbox rows in commit order per key and marks them sent (at least once).

    Woken at once by `notify()` after a local commit; polls as a fallback for rows written by
    other processes. On PostgreSQL a transaction-scoped advisory lock keeps one relay active
    per database, so order per key holds with several replicas.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        bus: EventBus,
        *,
        name: str,
        batch_size: int = 500,
        poll_interval: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._table = table
        self._bus = bus
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._lock_key = zlib.crc32(f"outbox:{name}".encode())
        self._wakeup = asyncio.Event()
        self.published = 0

    def notify(self) -> None:
        """Tell the relay that new rows were committed."""
        self._wakeup.set()

    async def run(self) -> None:
        """Relay until cancelled, backing off while the broker or database is unavailable."""
        backoff = 0.1
        while True:
            try:
                sent = await self.relay_once()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying", extra={"backoff": backoff})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if sent < self._batch_size:
                await self._wait()

    async def _wait(self) -> None:
        try:
            async with asyncio.timeout(self._poll_interval):
                await self._wakeup.wait()
        except TimeoutError:
            pass
        self._wakeup.clear()

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were sent."""
        t = self._table
        async with self._sessions() as session, session.begin():
            if not await self._take_lock(session):
                return 0
            rows = (
                await session.execute(
                    select(t.c.id, t.c.topic, t.c.key, t.c.body, t.c.event_type, t.c.correlation_id)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            if not rows:
                return 0
            await self._bus.publish(
                [
                    Record(
                        topic=row.topic,
                        key=row.key,
                        value=row.body.encode(),
                        headers=record_headers(row.event_type, row.correlation_id),
                    )
                    for row in rows
                ]
            )
            await session.execute(
                update(t)
                .where(t.c.id.in_([row.id for row in rows]))
                .values(published_at=datetime.now(UTC))
            )
        self.published += len(rows)
        return len(rows)

    async def _take_lock(self, session: AsyncSession) -> bool:
        if session.get_bind().dialect.name != "postgresql":
            return True
        result = await session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": self._lock_key}
        )
        return bool(result.scalar())

    async def backlog(self) -> int:
        """Rows not yet published."""
        t = self._table
        async with self._sessions() as session:
            result = await session.execute(
                select(t.c.id).where(t.c.published_at.is_(None)).limit(10_000)
            )
            return len(result.all())
