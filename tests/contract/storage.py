"""What the repository contract suites of every service share: a migrated database of the
service on PostgreSQL and on SQLite (the local stack's database), emptied between tests, and
the check that a write lost a race."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine, session_factory
from shared.envelope import Envelope
from shared.retry import is_conflict
from shared.uow import Storage
from tests.conftest import MakeDatabase, migrated


def databases(service: str) -> tuple[Any, Any]:
    """Module-scoped fixtures `postgres_database` and `sqlite_database` of one service, each
    migrated once per test module."""

    @pytest.fixture(scope="module")
    async def postgres_database(make_database: MakeDatabase) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(await make_database(service))
        try:
            yield engine
        finally:
            await engine.dispose()

    @pytest.fixture(scope="module")
    async def sqlite_database(
        tmp_path_factory: pytest.TempPathFactory,
    ) -> AsyncIterator[AsyncEngine]:
        path = tmp_path_factory.mktemp(service) / f"{service}.db"
        engine = create_engine(await migrated(service, f"sqlite+aiosqlite:///{path}"))
        try:
            yield engine
        finally:
            await engine.dispose()

    return postgres_database, sqlite_database


async def emptied(engine: AsyncEngine, tables: Iterable[str]) -> None:
    """Every row the previous test left deleted (quicker than TRUNCATE on tables this small)."""
    async with engine.begin() as connection:
        for table in tables:
            await connection.execute(text(f"DELETE FROM {table}"))


async def conflict_of(action: Callable[[], Awaitable[object]]) -> BaseException:
    """The action fails as a write conflict (the loser of a race), and that failure."""
    with pytest.raises(Exception) as raised:
        await action()
    assert is_conflict(raised.value), repr(raised.value)
    return raised.value


def sql_storage(engine: AsyncEngine, metadata: MetaData, producer: str) -> Storage:
    """The shared storage of a service's SQL unit of work on `engine`."""
    return Storage(
        sessions=session_factory(engine),
        outbox=metadata.tables["outbox"],
        processed=metadata.tables["processed_messages"],
        producer=producer,
    )


async def shipped(engine: AsyncEngine, metadata: MetaData) -> list[Envelope]:
    """Every event the service's outbox holds, in commit order."""
    outbox = metadata.tables["outbox"]
    async with engine.connect() as connection:
        rows = await connection.execute(select(outbox.c.body).order_by(outbox.c.id))
        return [Envelope.from_json(body) for (body,) in rows]
