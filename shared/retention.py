"""Rows a service keeps only for a while: published outbox rows, handled event ids, and callers'
idempotency keys.

Each service purges its own database every `PURGE_INTERVAL` seconds, in small batches of
`PURGE_BATCH_SIZE` rows, each batch its own short transaction. On PostgreSQL a batch skips
rows another transaction holds (`FOR UPDATE SKIP LOCKED`), so writers are never waited for and
several replicas may purge at once.

The defaults fit together: a published outbox row is kept for the re-publishing window
(`OUTBOX_RETENTION`, 7 days, see `shared.recovery`), except the rows of a compacted topic (the
register's rights), which are kept for good so the topic can be filled again after a loss; a
handled event id is kept for longer than any record can come back (`INBOX_RETENTION`, 14 days,
at least the topic retention and the outbox retention, which the settings enforce), so a
redelivered or re-published event is still recognised; an `Idempotency-Key` answers retries for
`IDEMPOTENCY_KEY_RETENTION` (7 days), after which the same key makes a new write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Delete, Table, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.topics import COMPACTED_TOPICS

log = logging.getLogger(__name__)

CONSUMER_SCOPES = "consumer:%"
CALLER_SCOPES = "caller:%"


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of row is kept, and how many rows one transaction deletes."""

    outbox: timedelta = timedelta(days=7)
    inbox: timedelta = timedelta(days=14)
    idempotency_keys: timedelta = timedelta(days=7)
    batch_size: int = 500


@dataclass(frozen=True)
class Purged:
    """Rows removed by one purge."""

    outbox: int = 0
    inbox: int = 0
    idempotency_keys: int = 0


class Purger:
    """Deletes a service's expired rows a batch at a time."""

    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        processed: Table,
        policy: RetentionPolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._processed = processed
        self._policy = policy
        self._clock = clock
        self._skip_locked = engine.dialect.name == "postgresql"

    async def purge(self) -> Purged:
        """Delete every row past its retention; returns how many of each went."""
        now, policy = self._clock(), self._policy
        purged = Purged(
            outbox=await self._drain(lambda: self._sent_outbox(now - policy.outbox)),
            inbox=await self._drain(lambda: self._handled(CONSUMER_SCOPES, now - policy.inbox)),
            idempotency_keys=await self._drain(
                lambda: self._handled(CALLER_SCOPES, now - policy.idempotency_keys)
            ),
        )
        if purged != Purged():
            log.info(
                "expired rows purged",
                extra={
                    "outbox": purged.outbox,
                    "inbox": purged.inbox,
                    "idempotency_keys": purged.idempotency_keys,
                },
            )
        return purged

    async def _drain(self, batch: Callable[[], Delete]) -> int:
        total = 0
        while True:
            async with self._engine.begin() as connection:
                deleted = (await connection.execute(batch())).rowcount or 0
            total += deleted
            if deleted < self._policy.batch_size:
                return total
            await asyncio.sleep(0)

    def _sent_outbox(self, cutoff: datetime) -> Delete:
        t = self._outbox
        candidates = (
            select(t.c.id)
            .where(
                t.c.published_at.is_not(None),
                t.c.published_at < cutoff,
                t.c.topic.not_in(sorted(COMPACTED_TOPICS)),
            )
            .order_by(t.c.id)
            .limit(self._policy.batch_size)
        )
        if self._skip_locked:
            candidates = candidates.with_for_update(skip_locked=True)
        return delete(t).where(t.c.id.in_(candidates.scalar_subquery()))

    def _handled(self, scopes: str, cutoff: datetime) -> Delete:
        p = self._processed
        candidates = (
            select(p.c.scope, p.c.key)
            .where(p.c.processed_at < cutoff, p.c.scope.like(scopes))
            .limit(self._policy.batch_size)
        )
        if self._skip_locked:
            candidates = candidates.with_for_update(skip_locked=True)
        return delete(p).where(tuple_(p.c.scope, p.c.key).in_(candidates))
