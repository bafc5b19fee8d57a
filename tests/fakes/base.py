"""In-memory units of work for fast tests: the same protocol as the SQL ones.

State lives in a `Store` shared by every unit of work of one fake service; a unit of work
works on copies and writes them back only on commit, so leaving without commit leaves the
store as it was, as a rolled-back transaction would. Committed events are kept as envelopes
in `store.outbox`, in commit order.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from sqlalchemy.exc import IntegrityError

from shared.context import current_context
from shared.dedup import Dedup, Earlier
from shared.envelope import Envelope
from shared.kernel.events import Aggregate


def duplicate_key(what: str) -> IntegrityError:
    """A unique-key violation, as the database reports a concurrent writer that got there first."""
    return IntegrityError(f"duplicate key {what}", {}, Exception(what))


@dataclass
class Store:
    """What a fake service keeps: tables as dicts, processed messages, the outbox."""

    tables: dict[str, dict[Any, Any]] = field(default_factory=dict)
    processed: dict[tuple[str, str], Earlier] = field(default_factory=dict)
    outbox: list[Envelope] = field(default_factory=list)
    commits: int = 0

    def table(self, name: str) -> dict[Any, Any]:
        return self.tables.setdefault(name, {})

    def events(self, event_type: str | None = None) -> list[Envelope]:
        return [e for e in self.outbox if event_type is None or e.event_type == event_type]


class FakeRepository:
    """Works on copies of one table of the store; remembers the aggregates it saw."""

    def __init__(self, uow: FakeUnitOfWork, table: str) -> None:
        self._uow = uow
        self._name = table
        self.seen: list[Aggregate] = []

    @property
    def rows(self) -> dict[Any, Any]:
        """The table as this unit of work sees it (its own changes included)."""
        return self._uow.working(self._name)

    @property
    def committed(self) -> dict[Any, Any]:
        """The table as the last commit left it (what a concurrent writer may have changed)."""
        return self._uow.store.table(self._name)

    def _seen(self, aggregate: Any) -> Any:
        if isinstance(aggregate, Aggregate) and not any(a is aggregate for a in self.seen):
            self.seen.append(aggregate)
        return aggregate


class FakeUnitOfWork:
    """One transaction on a `Store`."""

    def __init__(self, store: Store, producer: str = "fake") -> None:
        self.store = store
        self.producer = producer
        self._working: dict[str, dict[Any, Any]] = {}
        self._remembered: dict[tuple[str, str], Earlier] = {}
        self._repositories: list[FakeRepository] = []
        self.committed = False

    async def __aenter__(self) -> Self:
        self._working = {}
        self._remembered = {}
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = {}

    def repository(self, repository: Any) -> Any:
        self._repositories.append(repository)
        return repository

    def working(self, table: str) -> dict[Any, Any]:
        if table not in self._working:
            self._working[table] = copy.deepcopy(self.store.table(table))
        return self._working[table]

    async def seen_before(self, dedup: Dedup) -> Earlier | None:
        key = (dedup.scope, dedup.key)
        earlier = self.store.processed.get(key) or self._remembered.get(key)
        if earlier is None and dedup.claim_first:
            self._remembered[key] = Earlier(dedup.fingerprint, None)
        return earlier

    async def remember(self, dedup: Dedup, resource_id: str | None) -> None:
        key = (dedup.scope, dedup.key)
        if key in self.store.processed:
            raise duplicate_key(f"{dedup.scope}/{dedup.key}")
        self._remembered[key] = Earlier(dedup.fingerprint, resource_id)

    async def before_commit(self) -> None:
        """A fake service's last writes in the transaction."""

    async def commit(self) -> None:
        await self.before_commit()
        envelopes = []
        for repository in self._repositories:
            for aggregate in repository.seen:
                for version, event in aggregate.collect_events():
                    envelopes.append(self._envelope(aggregate, version, event))
        for name, rows in self._working.items():
            self.store.tables[name] = copy.deepcopy(rows)
        self.store.processed.update(self._remembered)
        self.store.outbox.extend(envelopes)
        self.store.commits += 1
        self.committed = True

    def _envelope(self, aggregate: Aggregate, version: int, event: Any) -> Envelope:
        context = current_context()
        return Envelope(
            event_type=event.event_type,
            schema_version=event.schema_version,
            aggregate_id=aggregate.aggregate_id,
            aggregate_version=version,
            producer=self.producer,
            payload=Envelope.payload_of(event),
            correlation_id=aggregate.case_id or context.correlation_id,
            causation_id=context.causation_id,
        )
