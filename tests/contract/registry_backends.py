"""The registry's storage under test: the in-memory fakes, and the SQL unit of work on
PostgreSQL and on SQLite (the local stack's database) with the real migrations, each emptied
before a test; and the filings, rights and register lines the contract tests store in them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.adapters.orm import metadata, recordals
from services.registry.domain.checks import CheckResult, Finding, RefusalCode, Severity
from services.registry.domain.filing import Deadline, Party
from services.registry.domain.gazette import EntryType, RegisterEntry
from services.registry.domain.pledge import PledgeFiling
from services.registry.domain.register import Patent, Trademark
from services.registry.service_layer.deadlines import registration_deadline
from services.registry.service_layer.ports import RegistryUnitOfWork
from services.registry.service_layer.unit_of_work import SqlRegistryUnitOfWork
from shared.envelope import Envelope
from shared.workdays import BEIJING, OfficialCalendar
from tests.contract.storage import databases, emptied, shipped, sql_storage
from tests.fakes.registry import FakeRegistryDatabase
from tests.unit.test_registry_checks import (
    INVENTION,
    MARK,
    make_filing,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING).astimezone(UTC)
PATENT = INVENTION.number
OTHER_BANK = Party("Qingdao Rural Commercial Bank", "913702007180012344", "Qingdao")
WARNING = Finding(
    RefusalCode.PATENT_INVALIDATION_PENDING, PATENT, "invalidation pending", Severity.WARNING
)
TABLES = [table for table in metadata.tables if table != "audit_log"]


@dataclass
class Backend:
    unit_of_work: Callable[[], RegistryUnitOfWork]
    events: Callable[[], Awaitable[list[Envelope]]]
    recordals: Callable[[], Awaitable[list[str]]]
    one_writer_at_a_time: bool = False

    def concurrently(self) -> None:
        """Skip a test of two open units of work: on SQLite the second waits for the first."""
        if self.one_writer_at_a_time:
            pytest.skip("SQLite runs one transaction at a time")


postgres_database, sqlite_database = databases("registry")


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The in-memory fakes, or the SQL unit of work on PostgreSQL or SQLite."""
    if request.param != "fake":
        sql: Backend = request.getfixturevalue(f"{request.param}_backend")
        return sql
    database = FakeRegistryDatabase()

    async def committed_events() -> list[Envelope]:
        return database.events()

    async def kept_recordals() -> list[str]:
        return sorted(r.recordal_id for r in database.recordals.values())

    return Backend(database.unit_of_work, committed_events, kept_recordals)


@pytest.fixture
async def postgres_backend(postgres_database: AsyncEngine) -> Backend:
    await emptied(postgres_database, TABLES)
    return _sql_backend(postgres_database)


@pytest.fixture
async def sqlite_backend(sqlite_database: AsyncEngine) -> Backend:
    await emptied(sqlite_database, TABLES)
    return replace(_sql_backend(sqlite_database), one_writer_at_a_time=True)


def _sql_backend(engine: AsyncEngine) -> Backend:
    storage = sql_storage(engine, metadata, "registry")

    async def events() -> list[Envelope]:
        return await shipped(engine, metadata)

    async def kept_recordals() -> list[str]:
        async with engine.connect() as connection:
            rows = await connection.execute(select(recordals.c.recordal_id))
            return sorted(recordal_id for (recordal_id,) in rows)

    return Backend(lambda: SqlRegistryUnitOfWork(storage), events, kept_recordals)


def received(
    at: datetime = T0,
    rights: tuple[str, ...] = (PATENT,),
    reference: str | None = None,
    channel: str = "api",
    due: datetime | None = None,
    provisional: bool = False,
) -> PledgeFiling:
    deadline = registration_deadline(at, False, OfficialCalendar())
    if due is not None:
        deadline = Deadline(due, provisional, deadline.basis)
    return PledgeFiling.receive(
        filing_id=str(uuid.uuid4()),
        filing_reference=reference,
        channel=channel,
        data=make_filing(patents=rights),
        received_at=at,
        deadline=deadline,
        correlation_id=f"case-{reference or 'api'}",
    )


def examined(**changes: Any) -> PledgeFiling:
    filing = received(**changes)
    filing.assess(CheckResult((WARNING,)), filing.received_at)
    return filing


def registered(number: str, *rights: str, at: datetime = T0) -> PledgeFiling:
    filing = received(at, rights=rights or (PATENT,))
    filing.register(number, at)
    return filing


async def saved(backend: Backend, *filings: PledgeFiling) -> None:
    async with backend.unit_of_work() as uow:
        for filing in filings:
            await uow.filings.save(filing)
        await uow.commit()


async def pledged(backend: Backend, *filings: PledgeFiling) -> None:
    async with backend.unit_of_work() as uow:
        for filing in filings:
            await uow.filings.save(filing)
            await uow.filings.hold_rights(filing)
        await uow.commit()


async def entered(backend: Backend, *rights: Patent | Trademark) -> None:
    async with backend.unit_of_work() as uow:
        for right in rights:
            kind = "patent" if isinstance(right, Patent) else "trademark"
            entry = await uow.register.entry(right.number, kind)
            entry.enter(right)
            await uow.register.save_entry(entry)
        await uow.commit()


def gazette_lines(
    filing: PledgeFiling, at: datetime, entry_type: EntryType = EntryType.REGISTRATION
) -> list[RegisterEntry]:
    assert filing.registration_number is not None
    return [
        RegisterEntry(
            entry_type=entry_type,
            registration_number=filing.registration_number,
            filing_id=filing.filing_id,
            right_number=number,
            right_kind="patent" if number != MARK.number else "trademark",
            main_ipc="H01M 50/403" if number != MARK.number else None,
            grant_date=date(2019, 5, 10) if number != MARK.number else None,
            pledgor=filing.data.pledgor,
            pledgee=filing.data.pledgee,
            registration_date=date(2026, 3, 2),
            entered_at=at,
            reason="debt_repaid" if entry_type is EntryType.CANCELLATION else None,
            changed=("secured_amount",) if entry_type is EntryType.CHANGE else (),
        )
        for number in filing.data.rights
    ]


async def search(uow: RegistryUnitOfWork, **query: Any) -> tuple[int, list[RegisterEntry]]:
    filters: dict[str, Any] = {"right": None, "party_uscc": None, "since": None, "until": None}
    return await uow.gazette.search(**(filters | {"limit": 50, "offset": 0} | query))
