"""In-memory fakes of valuation's unit of work and repositories.

They keep the promises of the SQL ones (`services.valuation.service_layer.ports`): a unit of
work sees its own writes and commits all of them, with the events of the aggregates it saw and
its deduplication record, or none; leaving without a commit rolls back. A write that lost a
race (the row changed since this unit of work read it, or a unique key was taken meanwhile) is
a write conflict the message bus tries again. `tests/contract/test_valuation_repositories.py`
runs the same tests against these fakes and against PostgreSQL.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, Self, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from services.valuation.domain.collateral import LoanCollateral
from services.valuation.domain.records import RegisteredRight
from services.valuation.domain.signoff import PROVISIONAL
from services.valuation.domain.valuation import CREDIT, Valuation
from shared.context import current_context
from shared.dedup import Dedup, Earlier
from shared.envelope import Envelope
from shared.kernel.events import Aggregate, DomainEvent

PRODUCER = "valuation"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
A = TypeVar("A", bound=Aggregate)


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


class _Staged(Generic[K, V]):
    """One table as a unit of work sees it: committed rows with its own writes on top."""

    def __init__(self, table: FakeTable[K, V]) -> None:
        self._table = table
        self._based_on: dict[K, int | None] = {}
        self._writes: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        if key in self._writes:
            return copy.deepcopy(self._writes[key])
        row = self._table.rows.get(key)
        self._based_on.setdefault(key, None if row is None else row.stamp)
        return None if row is None else copy.deepcopy(row.value)

    def values(self) -> Iterator[V]:
        keys = dict.fromkeys([*self._table.rows, *self._writes])
        for key in keys:
            value = self.get(key)
            if value is not None:
                yield value

    def insert(self, key: K, value: V) -> None:
        if self.get(key) is not None:
            raise LostRace(f"{key!r} exists")
        self._check_unique(key, value, self.values())
        self._writes[key] = copy.deepcopy(value)

    def update(self, key: K, value: V) -> None:
        if self.get(key) is None:
            raise LostRace(f"{key!r} is gone")
        self._writes[key] = copy.deepcopy(value)

    def check(self) -> None:
        """Refuse the commit if a row written here changed since it was read, or a unique key
        was taken by another commit meanwhile."""
        for key, value in self._writes.items():
            row = self._table.rows.get(key)
            if (None if row is None else row.stamp) != self._based_on[key]:
                raise LostRace(f"{key!r} was changed concurrently")
            others = (r.value for k, r in self._table.rows.items() if k != key)
            self._check_unique(key, value, others)

    def apply(self, stamp: int) -> None:
        for key, value in self._writes.items():
            self._table.rows[key] = _Row(stamp, value)

    def _check_unique(self, key: K, value: V, others: Iterable[V]) -> None:
        unique = self._table.unique(value)
        if unique is not None and any(
            self._table.unique(other) == unique for other in others if other is not value
        ):
            raise LostRace(f"{unique!r} is taken")


class FakeValuationDatabase:
    """What valuation's database holds, in memory: committed rows and the outbox."""

    def __init__(self) -> None:
        self.rights: FakeTable[str, RegisteredRight] = FakeTable()
        self.valuations: FakeTable[str, Valuation] = FakeTable(
            unique=lambda v: v.completed.reference if v.completed.requested_by == CREDIT else None
        )
        self.collaterals: FakeTable[str, LoanCollateral] = FakeTable()
        self.processed: FakeTable[tuple[str, str], Earlier] = FakeTable()
        self.outbox: list[Envelope] = []
        self.commits = 0
        self._stamps = itertools.count(1)

    def unit_of_work(self) -> FakeValuationUnitOfWork:
        """A fresh unit of work on this database."""
        return FakeValuationUnitOfWork(self)

    def events(self, event_type: str | None = None) -> list[Envelope]:
        """Events committed to the outbox, in commit order."""
        return [e for e in self.outbox if event_type is None or e.event_type == event_type]

    def next_stamp(self) -> int:
        return next(self._stamps)


class _Tracking:
    """Remembers the aggregates handed out or taken in, for the events they record."""

    def __init__(self) -> None:
        self.seen: list[Aggregate] = []

    def _seen(self, aggregate: A) -> A:
        if not any(known is aggregate for known in self.seen):
            self.seen.append(aggregate)
        return aggregate


def _stored(aggregate: A) -> A:
    kept = copy.deepcopy(aggregate)
    kept.pending_events.clear()
    return kept


class FakeRightRepository:
    """The register read model in memory."""

    def __init__(self, rows: _Staged[str, RegisteredRight]) -> None:
        self._rows = rows

    async def get(self, number: str) -> RegisteredRight | None:
        return self._rows.get(number)

    async def get_many(self, numbers: Iterable[str]) -> dict[str, RegisteredRight]:
        found = {number: self._rows.get(number) for number in numbers}
        return {number: right for number, right in found.items() if right is not None}

    async def upsert(self, right: RegisteredRight) -> bool:
        stored = self._rows.get(right.number)
        if stored is None:
            self._rows.insert(right.number, right)
            return True
        if stored.source_event_version > right.source_event_version:
            return False
        self._rows.update(right.number, right)
        return True


class FakeValuationRepository(_Tracking):
    """Valuations in memory; at most one for credit per loan."""

    def __init__(self, rows: _Staged[str, Valuation]) -> None:
        super().__init__()
        self._rows = rows

    async def add(self, valuation: Valuation) -> None:
        self._rows.insert(valuation.valuation_id, _stored(self._seen(valuation)))

    async def get(self, valuation_id: str) -> Valuation | None:
        found = self._rows.get(valuation_id)
        return None if found is None else self._seen(found)

    async def for_application(self, loan_reference: str) -> Valuation | None:
        for valuation in self._rows.values():
            made = valuation.completed
            if made.requested_by == CREDIT and made.reference == loan_reference:
                return self._seen(valuation)
        return None

    async def pending(self, limit: int, after: str | None = None) -> list[Valuation]:
        waiting = sorted(
            (
                v
                for v in self._rows.values()
                if v.completed.status == PROVISIONAL and v.signoff is None
            ),
            key=_oldest_first,
        )
        if after is not None:
            cursor = self._rows.get(after)
            if cursor is None:
                return []
            waiting = [v for v in waiting if _oldest_first(v) > _oldest_first(cursor)]
        return [self._seen(v) for v in waiting[:limit]]

    async def save(self, valuation: Valuation) -> None:
        self._rows.update(valuation.valuation_id, _stored(self._seen(valuation)))


class FakeCollateralRepository(_Tracking):
    """The collateral of disbursed loans in memory."""

    def __init__(self, rows: _Staged[str, LoanCollateral]) -> None:
        super().__init__()
        self._rows = rows

    async def add(self, collateral: LoanCollateral) -> None:
        self._rows.insert(collateral.loan_reference, _stored(self._seen(collateral)))

    async def get(self, loan_reference: str) -> LoanCollateral | None:
        found = self._rows.get(loan_reference)
        return None if found is None else self._seen(found)

    async def following(self, right_number: str) -> list[LoanCollateral]:
        backed = (c for c in self._rows.values() if not c.released and right_number in c.rights)
        return [self._seen(c) for c in sorted(backed, key=lambda c: c.loan_reference)]

    async def save(self, collateral: LoanCollateral) -> None:
        self._rows.update(collateral.loan_reference, _stored(self._seen(collateral)))


def _oldest_first(valuation: Valuation) -> tuple[object, str]:
    return (valuation.completed.completed_at, valuation.valuation_id)


class FakeValuationUnitOfWork:
    """One transaction on a `FakeValuationDatabase`."""

    rights: FakeRightRepository
    valuations: FakeValuationRepository
    collaterals: FakeCollateralRepository

    def __init__(self, database: FakeValuationDatabase) -> None:
        self.database = database
        self.committed = False

    async def __aenter__(self) -> Self:
        db = self.database
        self._rights = _Staged(db.rights)
        self._valuations = _Staged(db.valuations)
        self._collaterals = _Staged(db.collaterals)
        self._processed = _Staged(db.processed)
        self.rights = FakeRightRepository(self._rights)
        self.valuations = FakeValuationRepository(self._valuations)
        self.collaterals = FakeCollateralRepository(self._collaterals)
        self._events: list[Envelope] = []
        self.committed = False
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Whatever was not committed is dropped."""

    async def seen_before(self, dedup: Dedup) -> Earlier | None:
        key = (dedup.scope, dedup.key)
        earlier = self._processed.get(key)
        if earlier is None and dedup.claim_first:
            self._processed.insert(key, Earlier(dedup.fingerprint, None))
        return earlier

    async def remember(self, dedup: Dedup, resource_id: str | None) -> None:
        self._processed.insert((dedup.scope, dedup.key), Earlier(dedup.fingerprint, resource_id))

    def stage_events(self) -> None:
        self._events.extend(
            self._envelope(aggregate, version, event)
            for aggregate in self._seen()
            for version, event in aggregate.collect_events()
        )

    async def commit(self) -> None:
        staged = (self._rights, self._valuations, self._collaterals, self._processed)
        self.stage_events()
        events, self._events = self._events, []
        for table in staged:
            table.check()
        stamp = self.database.next_stamp()
        for table in staged:
            table.apply(stamp)
        self.database.outbox.extend(events)
        self.database.commits += 1
        self.committed = True

    def _seen(self) -> list[Aggregate]:
        found: list[Aggregate] = []
        for aggregate in [*self.valuations.seen, *self.collaterals.seen]:
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
            producer=PRODUCER,
            payload=Envelope.payload_of(event),
            correlation_id=aggregate.case_id or context.correlation_id,
            causation_id=context.causation_id,
        )
