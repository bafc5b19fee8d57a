"""Fixtures for real parts: the embedded broker and throwaway PostgreSQL databases."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
import time_machine

from shared.devstack import EmbeddedBroker, free_port
from tests.dates import MOVED_TODAY_VARIABLE, moved_clock_destination

PG_ADMIN_URL = os.environ.get(
    "PLEDGEFLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def pytest_configure(config: pytest.Config) -> None:
    """With PLEDGEFLOW_TEST_TODAY set, the whole session runs on a clock moved to that day.

    The wall clock (`datetime.now`, `date.today`, `time.time`) starts at the given moment and
    ticks on from there; monotonic time is untouched, so timeouts and the event loop behave.
    Only this process moves: PostgreSQL, the broker and service subprocesses keep real time.
    """
    moved_to = os.environ.get(MOVED_TODAY_VARIABLE)
    if moved_to:
        travel = time_machine.travel(moved_clock_destination(moved_to), tick=True)
        travel.start()
        config.stash[_moved_clock] = travel


def pytest_unconfigure(config: pytest.Config) -> None:
    travel = config.stash.get(_moved_clock, None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    if _moved_clock in config.stash:
        return f"clock moved to {os.environ[MOVED_TODAY_VARIABLE]} ({MOVED_TODAY_VARIABLE})"
    return None


_moved_clock = pytest.StashKey[time_machine.travel]()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of an embedded broker shared by the session."""
    embedded = EmbeddedBroker(free_port(), tmp_path_factory.mktemp("broker") / "broker.log")
    embedded.start()
    try:
        yield embedded.bootstrap_servers
    finally:
        embedded.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """An embedded broker of the test's own, for a test that stops, kills or empties it."""
    embedded = EmbeddedBroker(free_port(), tmp_path / "broker.log")
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()


def _async_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


MakeDatabase = Callable[..., Awaitable[str]]


@pytest.fixture(scope="session")
async def make_database() -> AsyncIterator[MakeDatabase]:
    """Creates fresh PostgreSQL databases; all are dropped at the end of the session.

    `await make_database()` gives an empty database; `await make_database("credit")` one with
    the service's real migrations applied. Each service is migrated once per session into a
    template, and every database of that service is a copy of it.
    """
    session = uuid.uuid4().hex[:8]
    created: list[str] = []
    templates: dict[str, str] = {}
    lock = asyncio.Lock()

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def template(service: str) -> str:
        async with lock:
            if service not in templates:
                name = f"pledgeflow_template_{service}_{session}"
                await execute(f'CREATE DATABASE "{name}"')
                created.append(name)
                await migrated(service, _async_url(name))
                templates[service] = name
            return templates[service]

    async def create(service: str | None = None) -> str:
        name = f"pledgeflow_test_{uuid.uuid4().hex[:12]}"
        if service is None:
            await execute(f'CREATE DATABASE "{name}"')
        else:
            source = await template(service)
            await execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY WAL_LOG')
        created.append(name)
        return _async_url(name)

    yield create
    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        for name in reversed(created):
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
