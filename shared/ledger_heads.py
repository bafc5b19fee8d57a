"""Chain heads published and witnessed: how one service's ledger is held by the others.

Every `ledger_head_interval` seconds a service whose chain moved puts its head (sequence
number, hash, when it was reached) in its outbox for the ledger topic. Every service's
`<service>.ledger` consumer records the heads the others publish in its own
`ledger_witnessed_heads`, keeping the first hash it was told for each sequence number. Whoever
rewrites a service's database must then also rewrite every head the others hold, or
`verify_chain` with those heads names the first entry that differs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from shared.consumer import ConsumerSpec, Reaction, parse_payload
from shared.context import EventContext
from shared.envelope import Envelope
from shared.kernel.events import DomainEvent
from shared.kernel.messages import Command
from shared.outbox import add_to_outbox
from shared.topics import LEDGER_HEADS
from shared.uow import SqlUnitOfWork, Storage

log = logging.getLogger(__name__)

HEAD_PUBLISHED = "ledger.head.published"


@dataclass(frozen=True)
class LedgerHeadPublished(DomainEvent):
    """A service's decision ledger reached this entry: its sequence number and hash."""

    topic = LEDGER_HEADS
    event_type = HEAD_PUBLISHED
    service: str
    seq: int
    hash: str
    reached_at: datetime
    published_at: datetime


class _HeadIn(BaseModel):
    service: str
    seq: int
    hash: str
    published_at: datetime


@dataclass(frozen=True)
class RecordWitnessedHead(Command):
    """Keep another service's chain head as it was published."""

    service: str
    seq: int
    hash: str
    published_at: datetime


class HeadPublisher:
    """Puts this service's chain head in its outbox when it moved since the last time."""

    def __init__(self, service: str, storage: Storage) -> None:
        assert storage.ledger is not None
        self._service = service
        self._storage = storage
        self._ledger = storage.ledger
        self.last: tuple[int, str] | None = None

    async def publish(self) -> bool:
        """Stage the head for the ledger topic if it moved; returns whether it did."""
        head = self._ledger.head
        async with self._storage.sessions() as session, session.begin():
            row = (
                await session.execute(select(head.c.seq, head.c.hash, head.c.updated_at))
            ).first()
            if row is None or (row.seq, row.hash) == self.last:
                return False
            now = datetime.now(UTC)
            event = LedgerHeadPublished(self._service, row.seq, row.hash, row.updated_at, now)
            envelope = Envelope(
                event_type=event.event_type,
                schema_version=event.schema_version,
                aggregate_id=self._service,
                aggregate_version=int(row.seq),
                producer=self._service,
                payload=Envelope.payload_of(event),
                correlation_id=EventContext.new().correlation_id,
                occurred_at=now,
            )
            await add_to_outbox(session, self._storage.outbox, [(event.topic, envelope, None)])
        self.last = (int(row.seq), str(row.hash))
        self._storage.on_commit()
        return True


async def record_witnessed_head(command: RecordWitnessedHead, uow: Any) -> bool:
    """Keep the head; a different hash for a sequence number already held is kept out and
    reported. Returns whether the head was new."""
    assert isinstance(uow, SqlUnitOfWork) and uow.storage.ledger is not None
    table = uow.storage.ledger.witnessed
    session = uow.session
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = await session.execute(
        dialect.insert(table)
        .values(
            service=command.service,
            seq=command.seq,
            hash=command.hash,
            published_at=command.published_at,
            received_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
        .returning(table.c.seq)
    )
    if inserted.first() is not None:
        return True
    held = await session.scalar(
        select(table.c.hash).where(table.c.service == command.service, table.c.seq == command.seq)
    )
    if held != command.hash:
        log.error(
            "a service published another hash for a ledger entry already witnessed",
            extra={"service": command.service, "seq": command.seq, "held": held},
        )
    return False


def ledger_consumer(service: str) -> ConsumerSpec:
    """The consumer group that records the other services' chain heads."""

    def witnessed(envelope: Envelope) -> RecordWitnessedHead | None:
        body = parse_payload(_HeadIn, envelope)
        if body.service == service:
            return None
        return RecordWitnessedHead(body.service, body.seq, body.hash, body.published_at)

    return ConsumerSpec(
        name=f"{service}.ledger",
        topics=(LEDGER_HEADS,),
        reactions={HEAD_PUBLISHED: Reaction(witnessed, payload=_HeadIn)},
    )
