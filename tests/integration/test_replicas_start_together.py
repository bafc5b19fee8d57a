"""Replicas that start together on one database: migrations and first uses do not race."""

from __future__ import annotations

import asyncio
import sys
from datetime import date

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from services.registry.adapters.orm import metadata
from services.registry.service_layer.unit_of_work import SqlRegistryUnitOfWork
from shared.db import create_engine, session_factory
from shared.migrations import alembic_config
from shared.uow import Storage
from tests.conftest import MakeDatabase

pytestmark = pytest.mark.postgres

REPLICAS = 4


async def _upgrade_in_a_process(service: str, url: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        f"from shared.migrations import upgrade; upgrade({service!r}, {url!r})",
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stderr.decode()[-2000:]


async def test_replicas_upgrading_a_fresh_database_at_once_all_succeed(
    make_database: MakeDatabase,
) -> None:
    service = "registry"
    url = await make_database()

    outcomes = await asyncio.gather(*(_upgrade_in_a_process(service, url) for _ in range(REPLICAS)))

    assert [code for code, _ in outcomes] == [0] * REPLICAS, [err for _, err in outcomes]
    head = ScriptDirectory.from_config(alembic_config(service, url)).get_current_head()
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
            assert [row[0] for row in versions] == [head]
    finally:
        await engine.dispose()


async def test_the_first_registration_numbers_of_a_year_taken_by_two_replicas_at_once_all_succeed(
    make_database: MakeDatabase,
) -> None:
    url = await make_database("registry")
    engines = [create_engine(url) for _ in range(2)]
    storages = [
        Storage(
            sessions=session_factory(engine),
            outbox=metadata.tables["outbox"],
            processed=metadata.tables["processed_messages"],
            producer="registry",
        )
        for engine in engines
    ]
    started = asyncio.Event()

    async def take(storage: Storage) -> str:
        async with SqlRegistryUnitOfWork(storage) as uow:
            await started.wait()
            number = await uow.filings.next_registration_number(date(2031, 1, 2))
            await asyncio.sleep(0.05)
            await uow.commit()
            return number

    try:
        takers = [asyncio.create_task(take(storages[n % 2])) for n in range(8)]
        await asyncio.sleep(0.1)
        started.set()
        numbers = await asyncio.gather(*takers)
    finally:
        for engine in engines:
            await engine.dispose()

    assert sorted(numbers) == [f"Y2031{n:06d}" for n in range(1, 9)]
