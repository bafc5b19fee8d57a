"""The SQL unit of work: one transaction, with the outbox, the deduplication record and the
decision ledger in it.

Repositories remember every aggregate they load or add. When the message bus commits, the
unit of work writes the new events of those aggregates to the outbox, and an entry in the
decision ledger for each of them that is a decision and for each staff action recorded with
`record_decision`, in the same transaction as their state. Nothing but the message bus calls
`commit`; leaving without it rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self, TypeVar

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import dedup as dedup_store
from shared.context import current_context
from shared.dedup import Dedup, DedupStatements, Earlier
from shared.envelope import Envelope
from shared.kernel.events import Aggregate, DomainEvent
from shared.ledger import Decision, Ledger
from shared.outbox import Staged, add_to_outbox
from shared.tracing import current_traceparent

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R", bound="TrackingRepository")


@dataclass(frozen=True)
class Storage:
    """What a unit of work needs from its service: sessions and the shared tables."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: Table
    processed: Table
    producer: str
    on_commit: Callable[[], None] = lambda: None
    ledger: Ledger | None = None
    dedup: DedupStatements = field(init=False, repr=False)

    def __post_init__(self) -> None:
        engine = self.sessions.kw["bind"]
        dialect = engine.dialect.name if engine is not None else "postgresql"
        object.__setattr__(self, "dedup", DedupStatements(self.processed, dialect))


class TrackingRepository:
    """A repository that remembers the aggregates it handed out or took in."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.seen: list[Aggregate] = []

    def _seen(self, aggregate: A) -> A:
        if not any(known is aggregate for known in self.seen):
            self.seen.append(aggregate)
        return aggregate


class SqlUnitOfWork:
    """One transaction on a service's database; subclasses add their repositories."""

    session: AsyncSession

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._repositories: list[TrackingRepository] = []

    async def __aenter__(self) -> Self:
        self.session = self.storage.sessions()
        self._repositories = []
        self._staged: list[Staged] = []
        self._decisions: list[Decision] = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    def repository(self, repository: R) -> R:
        """Take part in event collection: what `repository` sees ships at commit."""
        self._repositories.append(repository)
        return repository

    def seen(self) -> Iterator[Aggregate]:
        """Every aggregate the repositories loaded or added, once each."""
        found: list[Aggregate] = []
        for repository in self._repositories:
            for aggregate in repository.seen:
                if not any(known is aggregate for known in found):
                    found.append(aggregate)
        yield from found

    async def seen_before(self, dedup: Dedup) -> Earlier | None:
        """The earlier handling of this message; claims a consumer's key when it is new."""
        return await dedup_store.seen_before(self.session, self.storage.dedup, dedup)

    async def remember(self, dedup: Dedup, resource_id: str | None) -> None:
        """Record a handled request with the resource it made."""
        await dedup_store.remember(self.session, self.storage.dedup, dedup, resource_id)

    def stage_events(self) -> None:
        """Take the new events of every aggregate seen, under the current message's context."""
        traceparent = current_context().traceparent or current_traceparent()
        self._staged.extend(
            (event.topic, self._envelope(aggregate, version, event), traceparent)
            for aggregate in self.seen()
            for version, event in aggregate.collect_events()
        )

    def record_decision(self, kind: str, subject: str, details: dict[str, object]) -> None:
        """Enter a staff action that is no event of an aggregate (a dead-letter redrive, say)
        in the decision ledger, with this transaction."""
        if self.storage.ledger is None:
            raise RuntimeError("this unit of work keeps no decision ledger")
        context = current_context()
        self._decisions.append(Decision(kind, subject, details, context.correlation_id))

    async def commit(self) -> None:
        """Write the events staged and the new ones of every aggregate seen to the outbox,
        chain the decisions among them onto the ledger, and commit."""
        await self.before_commit()
        self.stage_events()
        staged, self._staged = self._staged, []
        decisions, self._decisions = self._decisions, []
        await add_to_outbox(self.session, self.storage.outbox, staged)
        ledger = self.storage.ledger
        if ledger is not None:
            await ledger.append(self.session, [*ledger.decisions_in(staged), *decisions])
        await self.session.commit()
        if staged:
            self.storage.on_commit()

    async def before_commit(self) -> None:
        """A service's last writes in the transaction (e.g. derived rows); none by default."""

    def _envelope(self, aggregate: Aggregate, version: int, event: DomainEvent) -> Envelope:
        context = current_context()
        return Envelope(
            event_type=event.event_type,
            schema_version=event.schema_version,
            aggregate_id=aggregate.aggregate_id,
            aggregate_version=version,
            producer=self.storage.producer,
            payload=Envelope.payload_of(event),
            correlation_id=aggregate.case_id or context.correlation_id,
            causation_id=context.causation_id,
        )
