"""Valuation's unit of work and repositories: the same tests on the in-memory fakes, on
PostgreSQL and on SQLite (the local stack's database) with the real migrations, so the fakes
the service tests use cannot drift."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.valuation.adapters.orm import metadata
from services.valuation.domain.collateral import LoanCollateral
from services.valuation.domain.events import DriverData, RightValue, ValuationCompleted
from services.valuation.domain.records import RegisteredRight
from services.valuation.domain.signoff import ValueRange
from services.valuation.domain.valuation import CREDIT, REVALUATION, Valuation
from services.valuation.service_layer.ports import ValuationUnitOfWork
from services.valuation.service_layer.unit_of_work import SqlValuationUnitOfWork
from shared.envelope import Envelope
from tests.contract.dedup_contract import (
    DedupCase,
    test_a_request_is_remembered_with_what_it_made,
    test_a_request_remembered_concurrently_is_a_conflict,
    test_an_event_is_claimed_once,
)
from tests.contract.storage import conflict_of, databases, emptied, shipped, sql_storage
from tests.fakes.valuation import FakeValuationDatabase

# The shared deduplication tests, collected here with this module's storage.
__all__ = [
    "test_a_request_is_remembered_with_what_it_made",
    "test_a_request_remembered_concurrently_is_a_conflict",
    "test_an_event_is_claimed_once",
]

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
PATENT = "202010123456.2"
TRADEMARK = "31234567"
TABLES = (
    "impairments",
    "pledged_collateral",
    "loan_collateral",
    "signoffs",
    "valuations",
    "rights",
    "processed_messages",
    "outbox",
)


@dataclass
class Backend:
    unit_of_work: Callable[[], ValuationUnitOfWork]
    events: Callable[[], Awaitable[list[Envelope]]]
    one_writer_at_a_time: bool = False

    def concurrently(self) -> None:
        """Skip a test of two open units of work: on SQLite the second waits for the first."""
        if self.one_writer_at_a_time:
            pytest.skip("SQLite runs one transaction at a time")


postgres_database, sqlite_database = databases("valuation")


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The in-memory fakes, or the SQL unit of work on PostgreSQL or SQLite."""
    if request.param != "fake":
        sql: Backend = request.getfixturevalue(f"{request.param}_backend")
        return sql
    database = FakeValuationDatabase()

    async def committed_events() -> list[Envelope]:
        return database.events()

    return Backend(database.unit_of_work, committed_events)


@pytest.fixture
async def postgres_backend(postgres_database: AsyncEngine) -> Backend:
    await emptied(postgres_database, TABLES)
    return _sql_backend(postgres_database)


@pytest.fixture
async def sqlite_backend(sqlite_database: AsyncEngine) -> Backend:
    await emptied(sqlite_database, TABLES)
    return replace(_sql_backend(sqlite_database), one_writer_at_a_time=True)


def _sql_backend(engine: AsyncEngine) -> Backend:
    storage = sql_storage(engine, metadata, "valuation")

    async def events() -> list[Envelope]:
        return await shipped(engine, metadata)

    return Backend(lambda: SqlValuationUnitOfWork(storage), events)


def right(number: str = PATENT, version: int = 1, **changes: Any) -> RegisteredRight:
    recorded = RegisteredRight(
        number=number,
        right_type="patent",
        kind="invention",
        filing_date=date(2020, 3, 2),
        grant_date=date(2022, 5, 10),
        expiry_date=date(2040, 3, 1),
        legal_status="valid",
        frozen=False,
        invalidation_pending=False,
        main_ipc="G02B 7/02",
        nice_class=None,
        holder_usccs=("91310115MA1K3YJ675",),
        source_event_version=version,
        updated_at=T0,
    )
    return replace(recorded, **changes)


def right_value(number: str, central: str) -> RightValue:
    amount = Decimal(central)
    return RightValue(
        number=number,
        right_type="patent",
        kind="invention",
        low=amount - Decimal("10.00"),
        central=amount,
        high=amount + Decimal("10.00"),
        method="income_royalty_share",
        zero_reason=None,
        quality_score=Decimal("0.72"),
        recommended_ltv=Decimal("0.3"),
        drivers=(DriverData("royalty_rate", "5.00%", "within the industry range"),),
        expiry_date=date(2040, 3, 1),
    )


def valuation(
    requested_by: str = "bank-hangzhou",
    reference: str | None = None,
    status: str = "final",
    completed_at: datetime = T0,
    rights: tuple[RightValue, ...] | None = None,
) -> Valuation:
    rights = rights or (right_value(PATENT, "600.00"), right_value(TRADEMARK, "400.00"))
    central = sum((r.central for r in rights), Decimal("0.00"))
    completed = ValuationCompleted(
        valuation_id=str(uuid.uuid4()),
        reference=reference,
        requested_by=requested_by,
        parameter_version="2026.1",
        as_of=date(2026, 6, 1),
        low=central - Decimal("20.00"),
        central=central,
        high=central + Decimal("20.00"),
        recommended_max_loan=Decimal("300.00"),
        largest_share=Decimal("0.6000"),
        concentration_note=None,
        rights=rights,
        completed_at=completed_at,
        status=status,
    )
    inputs = {"allocation": "equal shares", "per_right": {}, "rights": [{"number": PATENT}]}
    return Valuation.make(completed, inputs)


async def stored(backend: Backend, *valuations: Valuation) -> None:
    async with backend.unit_of_work() as uow:
        for made in valuations:
            await uow.valuations.add(made)
        await uow.commit()


# The register read model


async def test_a_recorded_right_reads_back_as_recorded(backend: Backend) -> None:
    patent = right(frozen=True, holder_usccs=("91310115MA1K3YJ675", "913702007180012344"))
    async with backend.unit_of_work() as uow:
        assert await uow.rights.upsert(patent) is True
        await uow.commit()

    async with backend.unit_of_work() as uow:
        assert await uow.rights.get(PATENT) == patent
        assert await uow.rights.get_many([PATENT, TRADEMARK, PATENT]) == {PATENT: patent}
        assert await uow.rights.get(TRADEMARK) is None


async def test_an_older_register_version_never_replaces_a_newer_one(backend: Backend) -> None:
    newer = right(version=3)
    async with backend.unit_of_work() as uow:
        await uow.rights.upsert(newer)
        await uow.commit()

    async with backend.unit_of_work() as uow:
        assert await uow.rights.upsert(right(version=2, legal_status="lapsed")) is False
        assert await uow.rights.upsert(right(version=3, frozen=True)) is True
        await uow.commit()

    async with backend.unit_of_work() as uow:
        assert await uow.rights.get(PATENT) == replace(newer, frozen=True)


async def test_nothing_is_kept_without_a_commit(backend: Backend) -> None:
    made = valuation()
    async with backend.unit_of_work() as uow:
        await uow.rights.upsert(right())
        await uow.valuations.add(made)

    async with backend.unit_of_work() as uow:
        assert await uow.rights.get(PATENT) is None
        assert await uow.valuations.get(made.valuation_id) is None
    assert await backend.events() == []


# Valuations


async def test_a_valuation_reads_back_with_its_inputs_and_version(backend: Backend) -> None:
    made = valuation(status="provisional")
    await stored(backend, made)

    async with backend.unit_of_work() as uow:
        found = await uow.valuations.get(made.valuation_id)

    assert found is not None
    assert found.completed == made.completed
    assert dict(found.inputs) == made.inputs
    assert (found.signoff, found.version, found.pending_events) == (None, 1, [])


async def test_a_commit_ships_the_events_of_the_aggregates_seen(backend: Backend) -> None:
    made = valuation(status="provisional")
    await stored(backend, made)
    async with backend.unit_of_work() as uow:
        found = await uow.valuations.get(made.valuation_id)
        assert found is not None
        found.sign_off("appraiser-li", None, None, T0 + timedelta(hours=1))
        await uow.valuations.save(found)
        await uow.commit()

    shipped = [(e.event_type, e.aggregate_id, e.aggregate_version) for e in await backend.events()]
    assert shipped == [
        ("valuation.completed", made.valuation_id, 1),
        ("valuation.signed_off", made.valuation_id, 2),
    ]
    assert all(e.producer == "valuation" for e in await backend.events())


async def test_the_credit_valuation_of_a_loan_is_found_by_its_reference(
    backend: Backend,
) -> None:
    for_credit = valuation(CREDIT, "loan-1")
    await stored(
        backend, valuation(), valuation(REVALUATION, "loan-1"), for_credit, valuation(CREDIT, "x")
    )

    async with backend.unit_of_work() as uow:
        found = await uow.valuations.for_application("loan-1")
        assert found is not None and found.valuation_id == for_credit.valuation_id
        assert await uow.valuations.for_application("loan-2") is None


async def test_a_loan_is_valued_for_credit_once(backend: Backend) -> None:
    await stored(backend, valuation(CREDIT, "loan-1"))

    async def second_credit_valuation() -> None:
        async with backend.unit_of_work() as uow:
            await uow.valuations.add(valuation(CREDIT, "loan-1"))
            await uow.commit()

    await conflict_of(second_credit_valuation)
    await stored(backend, valuation(REVALUATION, "loan-1"), valuation(REVALUATION, "loan-1"))


async def test_two_units_of_work_valuing_one_loan_for_credit_keep_one(backend: Backend) -> None:
    backend.concurrently()
    async with backend.unit_of_work() as first, backend.unit_of_work() as second:
        await first.valuations.add(valuation(CREDIT, "loan-1"))
        await first.commit()

        async def add_and_commit() -> None:
            await second.valuations.add(valuation(CREDIT, "loan-1"))
            await second.commit()

        await conflict_of(add_and_commit)


async def test_a_sign_off_is_kept_with_its_valuation(backend: Backend) -> None:
    made = valuation(status="provisional")
    await stored(backend, made)
    async with backend.unit_of_work() as uow:
        found = await uow.valuations.get(made.valuation_id)
        assert found is not None
        adjusted = ValueRange(Decimal("900.00"), Decimal("950.00"), Decimal("990.00"))
        signoff = found.sign_off("appraiser-li", "thin market", adjusted, T0 + timedelta(hours=1))
        await uow.valuations.save(found)
        await uow.commit()

    async with backend.unit_of_work() as uow:
        again = await uow.valuations.get(made.valuation_id)
        assert again is not None
        assert (again.signoff, again.version) == (signoff, 2)
        assert again.effective_central == Decimal("950.00")
        assert await uow.valuations.pending(10) == []


async def test_concurrent_sign_offs_keep_the_first(backend: Backend) -> None:
    backend.concurrently()
    made = valuation(status="provisional")
    await stored(backend, made)
    async with backend.unit_of_work() as first, backend.unit_of_work() as second:
        mine = await first.valuations.get(made.valuation_id)
        theirs = await second.valuations.get(made.valuation_id)
        assert mine is not None and theirs is not None
        mine.sign_off("appraiser-li", None, None, T0)
        await first.valuations.save(mine)
        await first.commit()

        async def sign_off_too() -> None:
            theirs.sign_off("appraiser-wang", None, None, T0)
            await second.valuations.save(theirs)
            await second.commit()

        await conflict_of(sign_off_too)

    async with backend.unit_of_work() as uow:
        kept = await uow.valuations.get(made.valuation_id)
        assert kept is not None and kept.signoff is not None
        assert kept.signoff.appraiser_id == "appraiser-li"


async def test_pending_valuations_run_oldest_first_after_a_cursor(backend: Backend) -> None:
    waiting = [
        valuation(status="provisional", completed_at=T0 + timedelta(minutes=n)) for n in (2, 0, 1)
    ]
    await stored(backend, *waiting, valuation(status="final"))
    oldest_first = sorted(waiting, key=lambda v: v.completed.completed_at)

    async with backend.unit_of_work() as uow:
        first_page = await uow.valuations.pending(2)
        rest = await uow.valuations.pending(2, after=first_page[-1].valuation_id)

    ids = [v.valuation_id for v in first_page + rest]
    assert ids == [v.valuation_id for v in oldest_first]


# Collateral of disbursed loans


def followed(basis: Valuation, loan: str = "loan-1") -> LoanCollateral:
    return LoanCollateral.follow(loan, basis, T0)


async def test_followed_collateral_reads_back_and_is_found_by_its_rights(
    backend: Backend,
) -> None:
    basis = valuation(CREDIT, "loan-1")
    other = valuation(CREDIT, "loan-2", rights=(right_value(PATENT, "100.00"),))
    await stored(backend, basis, other)
    async with backend.unit_of_work() as uow:
        await uow.collaterals.add(followed(basis))
        await uow.collaterals.add(followed(other, "loan-2"))
        await uow.commit()

    async with backend.unit_of_work() as uow:
        found = await uow.collaterals.get("loan-1")
        by_patent = await uow.collaterals.following(PATENT)
        by_trademark = await uow.collaterals.following(TRADEMARK)
        assert await uow.collaterals.following("201910777888.2") == []
        assert await uow.collaterals.get("loan-3") is None

    assert found == followed(basis)
    assert [c.loan_reference for c in by_patent] == ["loan-1", "loan-2"]
    assert [c.loan_reference for c in by_trademark] == ["loan-1"]


async def test_an_impairment_moves_the_basis_and_the_version(backend: Backend) -> None:
    basis = valuation(CREDIT, "loan-1")
    revalued = valuation(REVALUATION, "loan-1", rights=(right_value(TRADEMARK, "400.00"),))
    await stored(backend, basis, revalued)
    async with backend.unit_of_work() as uow:
        await uow.collaterals.add(followed(basis))
        await uow.commit()

    async with backend.unit_of_work() as uow:
        collateral = await uow.collaterals.get("loan-1")
        assert collateral is not None
        collateral.impair(PATENT, "right.lapsed", basis, revalued, T0 + timedelta(days=30))
        await uow.collaterals.save(collateral)
        await uow.commit()

    async with backend.unit_of_work() as uow:
        again = await uow.collaterals.get("loan-1")
    assert again is not None
    assert (again.valuation_id, again.version) == (revalued.valuation_id, 1)
    assert again.impairments == collateral.impairments
    assert not again.impaired_by(PATENT, "right.lapsed")
    assert again.impaired_by(TRADEMARK, "right.lapsed")
    shipped = [e for e in await backend.events() if e.event_type == "valuation.impaired"]
    assert [(e.aggregate_id, e.aggregate_version) for e in shipped] == [("loan-1", 1)]


async def test_a_released_loan_is_no_longer_followed(backend: Backend) -> None:
    basis = valuation(CREDIT, "loan-1")
    await stored(backend, basis)
    async with backend.unit_of_work() as uow:
        await uow.collaterals.add(followed(basis))
        await uow.commit()

    async with backend.unit_of_work() as uow:
        collateral = await uow.collaterals.get("loan-1")
        assert collateral is not None
        collateral.release()
        await uow.collaterals.save(collateral)
        await uow.commit()

    async with backend.unit_of_work() as uow:
        assert await uow.collaterals.following(PATENT) == []
        released = await uow.collaterals.get("loan-1")
    assert released is not None
    assert (released.released, released.rights) == (True, ())


# Deduplication records


@pytest.fixture
def dedup_case() -> DedupCase:
    return DedupCase(
        "valuation.rights", "registry.patent.recorded", {"annual_revenue": "1.00"}, "valuation"
    )
