"""Each service's migrations produce exactly the schema its models describe, on PostgreSQL.

A model changed without a migration (or a migration that drifted from the shared table
definitions) shows up here as a difference.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from shared.db import create_engine
from tests.conftest import MakeDatabase

pytestmark = pytest.mark.postgres

SERVICES = ("registry", "valuation", "credit", "console")


def _differences(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": False}
    )
    return [
        diff
        for diff in compare_metadata(context, metadata)
        if not (
            isinstance(diff, tuple)
            and diff[0] == "remove_table"
            and diff[1].name == "alembic_version"
        )
    ]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrated_schema_equals_the_models(service: str, make_database: MakeDatabase) -> None:
    metadata = importlib.import_module(f"services.{service}.adapters.orm").metadata
    engine = create_engine(await make_database(service))
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences, metadata)
    finally:
        await engine.dispose()
    assert differences == []
