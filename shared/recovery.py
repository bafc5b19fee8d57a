"""Recovering what a broker lost: a service's outbox published again from a point in time.

Published outbox rows are kept for `OUTBOX_RETENTION` (see `shared.retention`). After the
broker lost records (an in-memory broker restarted, a cluster restored from an older state),
`republish` marks every row published at or after a moment as unsent, and every row of a
compacted topic (the register's rights, kept for good) whenever published; the service's running
outbox relay then publishes them again, in their original order per key and before anything
newer of the same key. Consumers record every event id they handled (the inbox), so an event
they had already handled is skipped and only the lost ones take effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import MetaData, and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine
from shared.outbox import NOTIFY_CHANNEL
from shared.tables import outbox_table
from shared.topics import COMPACTED_TOPICS


@dataclass(frozen=True)
class Republished:
    """What `republish` did: rows marked unsent, and the oldest publication still kept."""

    rows: int
    oldest_kept: datetime | None


def beyond_retention(since: datetime, retention: timedelta, now: datetime) -> bool:
    """Whether rows published after `since` may already have been purged."""
    return since < now - retention


async def republish(engine: AsyncEngine, service: str, since: datetime) -> Republished:
    """Mark the rows of `service`'s outbox published at or after `since`, and those of its
    compacted topics whenever published, as unsent, so its relay publishes them again; wakes
    the relay at once on PostgreSQL."""
    if since.tzinfo is None:
        raise ValueError("give the moment with its time zone, e.g. 2026-05-01T08:00:00+08:00")
    outbox = outbox_table(MetaData())
    async with engine.begin() as connection:
        oldest = await connection.scalar(
            select(func.min(outbox.c.published_at)).where(outbox.c.published_at.is_not(None))
        )
        result = await connection.execute(
            update(outbox)
            .where(
                or_(
                    outbox.c.published_at >= since,
                    and_(
                        outbox.c.published_at.is_not(None),
                        outbox.c.topic.in_(sorted(COMPACTED_TOPICS)),
                    ),
                )
            )
            .values(published_at=None)
        )
        if engine.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_notify(:channel, '')"),
                {"channel": f"{NOTIFY_CHANNEL}_{service}"},
            )
    return Republished(rows=result.rowcount or 0, oldest_kept=oldest)


async def republish_database(database_url: str, service: str, since: datetime) -> Republished:
    """`republish` on the database at `database_url`."""
    engine = create_engine(database_url)
    try:
        return await republish(engine, service, since)
    finally:
        await engine.dispose()
