"""What the repository contract suites of every service share: a migrated database of the
service on PostgreSQL and on SQLite (the local stack's database), emptied between tests, and
the check that a write lost a race."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine
from shared.retry import is_conflict
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
