"""In-memory fakes of valuation's unit of work and repositories.

They keep the promises of the SQL ones (`services.valuation.service_layer.ports`): a unit of
work sees its own writes and commits all of them, with the events of the aggregates it saw and
its deduplication record, or none; leaving without a commit rolls back. A write that lost a
race (the row changed since this unit of work read it, or a unique key was taken meanwhile) is
a write conflict the message bus tries again. `tests/contract/test_valuation_repositories.py`
runs the same tests against these fakes and against PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.valuation.domain.collateral import LoanCollateral
from services.valuation.domain.records import RegisteredRight
from services.valuation.domain.signoff import PROVISIONAL
from services.valuation.domain.valuation import CREDIT, Valuation
from tests.fakes.base import FakeDatabase, FakeTable, Staged, StagedUnitOfWork, Tracking
from tests.fakes.base import stored_copy as _stored

PRODUCER = "valuation"


class FakeValuationDatabase(FakeDatabase):
    """What valuation's database holds, in memory: committed rows and the outbox."""

    def __init__(self) -> None:
        super().__init__(PRODUCER)
        self.rights: FakeTable[str, RegisteredRight] = FakeTable()
        self.valuations: FakeTable[str, Valuation] = FakeTable(
            unique=lambda v: v.completed.reference if v.completed.requested_by == CREDIT else None
        )
        self.collaterals: FakeTable[str, LoanCollateral] = FakeTable()

    def unit_of_work(self) -> FakeValuationUnitOfWork:
        """A fresh unit of work on this database."""
        return FakeValuationUnitOfWork(self)


class FakeRightRepository:
    """The register read model in memory."""

    def __init__(self, rows: Staged[str, RegisteredRight]) -> None:
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


class FakeValuationRepository(Tracking):
    """Valuations in memory; at most one for credit per loan."""

    def __init__(self, rows: Staged[str, Valuation]) -> None:
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


class FakeCollateralRepository(Tracking):
    """The collateral of disbursed loans in memory."""

    def __init__(self, rows: Staged[str, LoanCollateral]) -> None:
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


class FakeValuationUnitOfWork(StagedUnitOfWork):
    """One transaction on a `FakeValuationDatabase`."""

    database: FakeValuationDatabase
    rights: FakeRightRepository
    valuations: FakeValuationRepository
    collaterals: FakeCollateralRepository

    def __init__(self, database: FakeValuationDatabase) -> None:
        super().__init__(database)

    def open(self) -> None:
        db = self.database
        self.rights = FakeRightRepository(self.stage(db.rights))
        self.valuations = self.track(FakeValuationRepository(self.stage(db.valuations)))
        self.collaterals = self.track(FakeCollateralRepository(self.stage(db.collaterals)))
