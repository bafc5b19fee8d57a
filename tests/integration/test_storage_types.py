"""The embedded default (SQLite) keeps what PostgreSQL keeps: exact decimals and UTC instants."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.credit.adapters.orm import bank_quotas
from shared.db import ExactNumeric, UtcDateTime, create_engine
from shared.migrations import upgrade

LARGEST = Decimal("9999999999999999.99")
BEIJING = timezone(timedelta(hours=8))

metadata = MetaData()
amounts = Table(
    "amounts",
    metadata,
    Column("id", String(8), primary_key=True),
    Column("amount", ExactNumeric(18, 2)),
    Column("reserved", ExactNumeric(18, 2)),
    Column("rate", ExactNumeric(8, 6)),
    Column("at", UtcDateTime()),
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def engine(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    make_database: Callable[[], Awaitable[str]],
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'types.db'}"
    else:
        url = await make_database()
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def _store(engine: AsyncEngine, **values: object) -> dict[str, object]:
    async with engine.begin() as connection:
        await connection.execute(amounts.insert().values(id="a", **values))
    async with engine.connect() as connection:
        return dict((await connection.execute(select(amounts))).one()._mapping)


async def test_the_largest_amount_reads_back_to_the_fen(engine: AsyncEngine) -> None:
    row = await _store(engine, amount=LARGEST, reserved=Decimal("0.01"), rate=Decimal("0.0385"))
    assert row["amount"] == LARGEST
    assert str(row["amount"]) == "9999999999999999.99"
    assert row["reserved"] == Decimal("0.01")
    assert row["rate"] == Decimal("0.038500")


async def test_amounts_add_and_compare_exactly_in_sql(engine: AsyncEngine) -> None:
    await _store(engine, amount=Decimal("1.00"), reserved=Decimal("0.49"))
    over = Decimal("0.05")  # 0.02 is left: a reservation of 0.05 must not fit
    fits = amounts.c.amount - amounts.c.reserved - amounts.c.reserved >= over
    async with engine.begin() as connection:
        refused = await connection.execute(
            update(amounts).where(fits).values(reserved=amounts.c.reserved + over)
        )
        accepted = await connection.execute(
            update(amounts)
            .where(amounts.c.amount - amounts.c.reserved >= Decimal("0.51"))
            .values(reserved=amounts.c.reserved + Decimal("0.51"))
        )
    assert (refused.rowcount, accepted.rowcount) == (0, 1)  # type: ignore[attr-defined]
    async with engine.connect() as connection:
        assert await connection.scalar(select(amounts.c.reserved)) == Decimal("1.00")


async def test_an_instant_with_an_offset_reads_back_as_the_same_instant_in_utc(
    engine: AsyncEngine,
) -> None:
    paid_at = datetime(2027, 3, 20, 10, 0, 0, 123456, tzinfo=BEIJING)
    row = await _store(engine, at=paid_at)
    assert row["at"] == paid_at
    assert row["at"].utcoffset() == timedelta(0)  # type: ignore[attr-defined]
    assert row["at"] == datetime(2027, 3, 20, 2, 0, 0, 123456, tzinfo=UTC)


async def test_instants_compare_as_instants_whatever_offset_they_were_written_with(
    engine: AsyncEngine,
) -> None:
    await _store(engine, at=datetime(2027, 3, 20, 1, 0, tzinfo=BEIJING))  # 17:00 the day before
    cutoff = datetime(2027, 3, 19, 18, 0, tzinfo=UTC)
    async with engine.connect() as connection:
        before = await connection.scalar(select(amounts.c.id).where(amounts.c.at < cutoff))
    assert before == "a"


async def test_a_naive_instant_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(Exception, match="UTC offset"):
        await _store(engine, at=datetime(2027, 3, 20, 10, 0))


async def test_amounts_of_an_existing_sqlite_database_are_kept_by_the_upgrade(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'credit.db'}"
    await asyncio.to_thread(upgrade, "credit", url, "0d57626c8632")
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO bank_quotas (bank_id, total, reserved, consumed, updated_at) "
                "VALUES ('bank-a', 2000000000.00, 1500000.5, 0, '2026-11-20 01:00:00.000000')"
            )
        )
    await engine.dispose()
    await asyncio.to_thread(upgrade, "credit", url)
    engine = create_engine(url)
    async with engine.connect() as connection:
        row = (await connection.execute(select(bank_quotas))).one()
    await engine.dispose()
    assert (row.total, row.reserved, row.consumed) == (
        Decimal("2000000000.00"),
        Decimal("1500000.50"),
        Decimal("0.00"),
    )
    assert row.updated_at == datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
