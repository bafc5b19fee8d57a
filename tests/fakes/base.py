"""In-memory units of work for fast tests: the same protocol as the SQL ones.

Two kinds. A `Store` shared by every `FakeUnitOfWork` of one fake service: a unit of work
works on copies of whole tables and writes them back only on commit, so leaving without
commit leaves the store as it was, as a rolled-back transaction would. And a `FakeDatabase`
of `FakeTable`s that a `StagedUnitOfWork` reads row by row as committed meanwhile, with its own
writes staged on top; its commit is refused, as a lost race, when a row it wrote was changed
by another commit since it read it, so two units of work open at once behave as two
transactions on PostgreSQL would. Committed events are kept as envelopes in the outbox, in
commit order.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from shared.context import current_context
from shared.dedup import Dedup, Earlier
from shared.envelope import Envelope
from shared.kernel.events import Aggregate, DomainEvent


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
        self._events: list[Envelope] = []
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

    def stage_events(self) -> None:
        for repository in self._repositories:
            for aggregate in repository.seen:
                for version, event in aggregate.collect_events():
                    self._events.append(self._envelope(aggregate, version, event))

    async def commit(self) -> None:
        await self.before_commit()
        self.stage_events()
        envelopes, self._events = self._events, []
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


# Row-level fakes: committed rows with each unit of work's writes staged on top.

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


class LostRace(StaleDataError):
    """A write that lost a race to a concurrent writer: the bus tries the command again."""


@dataclass(frozen=True)
class _Row(Generic[V]):
    stamp: int
    value: V


class FakeTable(Generic[K, V]):
    """The committed rows of one table, each stamped by the commit that wrote it."""

    def __init__(self, unique: Callable[[V], Hashable | None] = lambda _: None) -> None:
        self.rows: dict[K, _Row[V]] = {}
        self.unique = unique

    def values(self) -> list[V]:
        """Every committed row (for assertions)."""
        return [copy.deepcopy(row.value) for row in self.rows.values()]

    def tamper(self, key: K, change: Callable[[V], V]) -> None:
        """Change a committed row behind the service's back, as an operator's SQL would."""
        row = self.rows[key]
        self.rows[key] = _Row(row.stamp, change(copy.deepcopy(row.value)))


_DELETED: Any = object()


class Staged(Generic[K, V]):
    """One table as a unit of work sees it: the latest committed rows with its own writes on top.

    Like a READ COMMITTED transaction, it reads what others committed meanwhile. A row it
    writes must not change under it: if another commit wrote or deleted that row since it was
    read, or took a unique key it uses, the commit is refused as a lost race.
    """

    def __init__(self, table: FakeTable[K, V]) -> None:
        self._table = table
        self._based_on: dict[K, int | None] = {}
        self._writes: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        if key in self._writes:
            written = self._writes[key]
            return None if written is _DELETED else copy.deepcopy(written)
        row = self._table.rows.get(key)
        self._based_on.setdefault(key, None if row is None else row.stamp)
        return None if row is None else copy.deepcopy(row.value)

    def keys(self) -> list[K]:
        return list(dict.fromkeys([*self._table.rows, *self._writes]))

    def values(self) -> Iterator[V]:
        for key in self.keys():
            value = self.get(key)
            if value is not None:
                yield value

    def insert(self, key: K, value: V) -> None:
        if self.get(key) is not None:
            raise LostRace(f"{key!r} exists")
        self._check_unique(key, value, self._others(key))
        self._writes[key] = copy.deepcopy(value)

    def update(self, key: K, value: V) -> None:
        if self.get(key) is None:
            raise LostRace(f"{key!r} is gone")
        self._writes[key] = copy.deepcopy(value)

    def upsert(self, key: K, value: V) -> None:
        self.get(key)
        self._writes[key] = copy.deepcopy(value)

    def delete(self, key: K) -> None:
        if self.get(key) is not None:
            self._writes[key] = _DELETED

    def check(self) -> None:
        """Refuse the commit if a row written here changed since it was read, or a unique key
        was taken by another commit meanwhile."""
        for key, value in self._writes.items():
            row = self._table.rows.get(key)
            if (None if row is None else row.stamp) != self._based_on[key]:
                raise LostRace(f"{key!r} was changed concurrently")
            if value is not _DELETED:
                others = (r.value for k, r in self._table.rows.items() if k != key)
                self._check_unique(key, value, others)

    def apply(self, stamp: int) -> None:
        for key, value in self._writes.items():
            if value is _DELETED:
                self._table.rows.pop(key, None)
            else:
                self._table.rows[key] = _Row(stamp, value)

    def _others(self, key: K) -> Iterator[V]:
        for other in self.keys():
            if other != key:
                value = self.get(other)
                if value is not None:
                    yield value

    def _check_unique(self, key: K, value: V, others: Iterable[V]) -> None:
        unique = self._table.unique(value)
        if unique is not None and any(self._table.unique(other) == unique for other in others):
            raise LostRace(f"{unique!r} is taken")


class Tracking:
    """Remembers the aggregates handed out or taken in, for the events they record."""

    def __init__(self) -> None:
        self.seen: list[Aggregate] = []

    def _seen(self, aggregate: A) -> A:
        if not any(known is aggregate for known in self.seen):
            self.seen.append(aggregate)
        return aggregate


def stored_copy(aggregate: A) -> A:
    """What a table keeps of an aggregate: its state, without the events still to ship."""
    kept = copy.deepcopy(aggregate)
    kept.pending_events.clear()
    return kept


class FakeDatabase:
    """What a fake service's database holds: its tables (in subclasses), the messages it
    processed, and the outbox of committed events in commit order."""

    def __init__(self, producer: str) -> None:
        self.producer = producer
        self.processed: FakeTable[tuple[str, str], Earlier] = FakeTable()
        self.outbox: list[Envelope] = []
        self.commits = 0
        self._stamps = itertools.count(1)

    def events(self, event_type: str | None = None) -> list[Envelope]:
        """Events committed to the outbox, in commit order."""
        return [e for e in self.outbox if event_type is None or e.event_type == event_type]

    def next_stamp(self) -> int:
        return next(self._stamps)


class StagedUnitOfWork:
    """One transaction on a `FakeDatabase`: every table it stages commits together or not at
    all, with the events of the aggregates its tracking repositories saw."""

    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self.committed = False
        self._staged: list[Staged[Any, Any]] = []
        self._tracking: list[Tracking] = []

    async def __aenter__(self) -> Self:
        self._staged = []
        self._tracking = []
        self._events: list[Envelope] = []
        self._processed = self.stage(self.database.processed)
        self.committed = False
        self.open()
        return self

    def open(self) -> None:
        """Stage the service's tables and make its repositories (in subclasses)."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Whatever was not committed is dropped."""

    def stage(self, table: FakeTable[K, V]) -> Staged[K, V]:
        staged = Staged(table)
        self._staged.append(staged)
        return staged

    def track(self, repository: T) -> T:
        """Take part in event collection: what `repository` sees ships at commit."""
        assert isinstance(repository, Tracking)
        self._tracking.append(repository)
        return repository

    async def seen_before(self, dedup: Dedup) -> Earlier | None:
        key = (dedup.scope, dedup.key)
        earlier = self._processed.get(key)
        if earlier is None and dedup.claim_first:
            self._processed.insert(key, Earlier(dedup.fingerprint, None))
        return earlier

    async def remember(self, dedup: Dedup, resource_id: str | None) -> None:
        self._processed.insert((dedup.scope, dedup.key), Earlier(dedup.fingerprint, resource_id))

    async def before_commit(self) -> None:
        """A fake service's last writes in the transaction."""

    def stage_events(self) -> None:
        self._events.extend(
            self._envelope(aggregate, version, event)
            for aggregate in self._seen()
            for version, event in aggregate.collect_events()
        )

    async def commit(self) -> None:
        await self.before_commit()
        self.stage_events()
        events, self._events = self._events, []
        for table in self._staged:
            table.check()
        stamp = self.database.next_stamp()
        for table in self._staged:
            table.apply(stamp)
        self.database.outbox.extend(events)
        self.database.commits += 1
        self.committed = True

    def _seen(self) -> list[Aggregate]:
        found: list[Aggregate] = []
        for repository in self._tracking:
            for aggregate in repository.seen:
                if not any(known is aggregate for known in found):
                    found.append(aggregate)
        return found

    def _envelope(self, aggregate: Aggregate, version: int, event: DomainEvent) -> Envelope:
        context = current_context()
        return Envelope(
            event_type=event.event_type,
            schema_version=event.schema_version,
            aggregate_id=aggregate.aggregate_id,
            aggregate_version=version,
            producer=self.database.producer,
            payload=Envelope.payload_of(event),
            correlation_id=aggregate.case_id or context.correlation_id,
            causation_id=context.causation_id,
        )
