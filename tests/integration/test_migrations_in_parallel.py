"""Replicas that each migrate their database as they start (the Kubernetes init containers)
may start together: they take turns, and every one of them finds the database at head."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.devstack import ROOT
from shared.migrations import alembic_config
from tests.conftest import MakeDatabase

pytestmark = pytest.mark.postgres


async def test_three_replicas_migrating_one_new_database_at_once_all_succeed(
    make_database: MakeDatabase,
) -> None:
    url = await make_database()
    environment = {**os.environ, "PLEDGEFLOW_CREDIT_DATABASE_URL": url}
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "shared.migrations",
            "credit",
            cwd=ROOT,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    outputs = await asyncio.wait_for(
        asyncio.gather(*(replica.communicate() for replica in replicas)), timeout=120
    )
    for replica, (output, _) in zip(replicas, outputs, strict=True):
        assert replica.returncode == 0, output.decode(errors="replace")
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
            at = [row[0] for row in versions]
    finally:
        await engine.dispose()
    assert at == ScriptDirectory.from_config(alembic_config("credit", url)).get_heads()
