"""Unit of work: owns the transaction, and writes the tracked aggregates' events to the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.context import current_context
from shared.envelope import Envelope
from shared.events import Aggregate, DomainEvent
from shared.idempotency import IdempotencyClaim
from shared.outbox import add_to_outbox


@dataclass(frozen=True)
class Storage:
    """What a unit of work needs from its service: sessions, the outbox and inbox tables."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: Table
    inbox: Table
    producer: str
    on_commit: Callable[[], None] = lambda: None
    idempotency: Table | None = None


class UnitOfWork:
    """One transaction. Only handlers call `commit`; leaving without it rolls back."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._tracked: list[Aggregate] = []
        self._envelopes: list[tuple[str, Envelope]] = []
        self.idempotency: IdempotencyClaim | None = None

    async def __aenter__(self) -> Self:
        self.session = self.storage.sessions()
        self._tracked = []
        self._envelopes = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.session.rollback()
        await self.session.close()

    def track(self, aggregate: Aggregate) -> None:
        """Ship this aggregate's new events with the next commit."""
        if not any(a is aggregate for a in self._tracked):
            self._tracked.append(aggregate)

    def emit(self, aggregate_id: str, version: int, event: DomainEvent) -> None:
        """Ship an event that no tracked aggregate recorded (e.g. a read-model change)."""
        self._envelopes.append((event.topic, self._envelope(aggregate_id, version, event)))

    def _envelope(
        self, aggregate_id: str, version: int, event: DomainEvent, case_id: str | None = None
    ) -> Envelope:
        context = current_context()
        payload = Envelope.payload_of(event)
        return Envelope(
            event_type=event.event_type,
            schema_version=event.schema_version,
            aggregate_id=aggregate_id,
            aggregate_version=version,
            producer=self.storage.producer,
            payload=payload,
            correlation_id=case_id or context.correlation_id,
            causation_id=context.causation_id,
        )

    async def claim(self, consumer: str, envelope: Envelope) -> bool:
        """Record that `consumer` handles this event; False if it was handled before."""
        try:
            async with self.session.begin_nested():
                await self.session.execute(
                    self.storage.inbox.insert().values(
                        consumer=consumer,
                        event_id=envelope.event_id,
                        event_type=envelope.event_type,
                        handled_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def commit(self) -> None:
        """Write pending events to the outbox and commit everything in one transaction."""
        for aggregate in self._tracked:
            for version, event in aggregate.collect_events():
                envelope = self._envelope(aggregate.aggregate_id, version, event, aggregate.case_id)
                self._envelopes.append((event.topic, envelope))
        if self.idempotency is not None:
            await self._remember_key(self.idempotency)
        shipped = bool(self._envelopes)
        for topic, envelope in self._envelopes:
            await add_to_outbox(self.session, self.storage.outbox, topic, envelope)
        self._envelopes = []
        await self.session.commit()
        if shipped:
            self.storage.on_commit()

    async def _remember_key(self, claim: IdempotencyClaim) -> None:
        table = self.storage.idempotency
        if table is None:
            raise RuntimeError(f"{self.storage.producer} keeps no idempotency keys")
        resource = next(
            (a.aggregate_id for a in self._tracked),
            self._envelopes[0][1].aggregate_id if self._envelopes else None,
        )
        if resource is None:
            raise RuntimeError("an idempotent write must create or change a resource")
        await self.session.execute(
            table.insert().values(
                owner=claim.owner,
                key=claim.key,
                request_hash=claim.request_hash,
                resource_id=resource,
                created_at=datetime.now(UTC),
            )
        )
        self.idempotency = None

    async def rollback(self) -> None:
        """Discard everything since the last commit."""
        self._envelopes = []
        await self.session.rollback()
