"""One deduplication mechanism for every way in.

A message handled once is recorded under a scope and a key in the same transaction as its
effect: a consumer records each event id it handled, a bank's write its `Idempotency-Key`.
A consumer claims the key before handling the event, so a redelivered event is skipped (and a
concurrent delivery waits for the first to commit, then is skipped). A caller's key is looked
up first and recorded with the resource it made: a retry is answered from that resource, the
same key with another request is refused, and a concurrent duplicate loses on the primary key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import UtcDateTime

MAX_KEY_LENGTH = 200
MAX_SCOPE_LENGTH = 100


@dataclass(frozen=True)
class Dedup:
    """The identity of a message for deduplication, with a fingerprint of what it asked."""

    scope: str
    key: str
    fingerprint: str
    claim_first: bool

    @classmethod
    def of_event(cls, consumer: str, event_id: str, event_type: str) -> Dedup:
        """An event handled by one consumer group."""
        return cls(f"consumer:{consumer}", event_id, event_type, claim_first=True)

    @classmethod
    def of_request(cls, caller: str, key: str, request: Any) -> Dedup:
        """A caller's write under an idempotency key; `request` is what it asked, as primitives."""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValueError(f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters")
        canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        return cls(f"caller:{caller}"[:MAX_SCOPE_LENGTH], key, digest, claim_first=False)


@dataclass(frozen=True)
class Earlier:
    """How a message was handled before: what it asked, and the resource it made."""

    fingerprint: str
    resource_id: str | None


def processed_messages_table(metadata: MetaData) -> Table:
    """Messages already handled, per scope; the primary key makes a second handling a no-op."""
    return Table(
        "processed_messages",
        metadata,
        Column("scope", String(MAX_SCOPE_LENGTH), primary_key=True),
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("fingerprint", String(200), nullable=False),
        Column("resource_id", String(64), nullable=True),
        Column("processed_at", UtcDateTime(), nullable=False, index=True),
    )


class DedupStatements:
    """The statements of one processed-messages table, built once and reused."""

    def __init__(self, table: Table, dialect: str) -> None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        self.claim = (
            insert(table)
            .values(
                scope=bindparam("scope"),
                key=bindparam("key"),
                fingerprint=bindparam("fingerprint"),
                resource_id=None,
                processed_at=bindparam("at"),
            )
            .on_conflict_do_nothing(index_elements=[table.c.scope, table.c.key])
            .returning(table.c.key)
        )
        self.lookup = select(table.c.fingerprint, table.c.resource_id).where(
            table.c.scope == bindparam("scope"), table.c.key == bindparam("key")
        )
        self.record = table.insert()


async def seen_before(
    session: AsyncSession, statements: DedupStatements, dedup: Dedup
) -> Earlier | None:
    """The earlier handling of `dedup`; with `claim_first` a new key is claimed at once."""
    params = {"scope": dedup.scope, "key": dedup.key}
    if dedup.claim_first:
        claimed = await session.execute(
            statements.claim,
            {**params, "fingerprint": dedup.fingerprint, "at": datetime.now(UTC)},
        )
        if claimed.first() is not None:
            return None
    row = (await session.execute(statements.lookup, params)).first()
    return None if row is None else Earlier(row.fingerprint, row.resource_id)


async def remember(
    session: AsyncSession, statements: DedupStatements, dedup: Dedup, resource_id: str | None
) -> None:
    """Record a handled message and what it made; a concurrent duplicate fails on the key."""
    await session.execute(
        statements.record,
        {
            "scope": dedup.scope,
            "key": dedup.key,
            "fingerprint": dedup.fingerprint,
            "resource_id": resource_id,
            "processed_at": datetime.now(UTC),
        },
    )
