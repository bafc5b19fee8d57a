"""Fixtures for real parts: the embedded broker and throwaway PostgreSQL databases."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.devstack import EmbeddedBroker, free_port

PG_ADMIN_URL = os.environ.get(
    "PLEDGEFLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of an embedded broker shared by the session."""
    embedded = EmbeddedBroker(free_port(), tmp_path_factory.mktemp("broker") / "broker.log")
    embedded.start()
    try:
        yield embedded.bootstrap_servers
    finally:
        embedded.stop()


def _async_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
async def make_database() -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Creates fresh PostgreSQL databases; all are dropped at the end of the session."""
    created: list[str] = []

    async def create() -> str:
        name = f"pledgeflow_test_{uuid.uuid4().hex[:12]}"
        connection = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        created.append(name)
        return _async_url(name)

    yield create
    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        for name in created:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def migrated(service: str, url: str) -> str:
    """Apply a service's real migrations to `url`."""
    from shared.migrations import upgrade

    await asyncio.to_thread(upgrade, service, url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Callable[[str], str]:
    """A SQLite file URL per service name, in the test's temporary folder."""
    return lambda service: f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}"
