"""A replica frozen inside a transaction cannot hold the rows it locked for longer than
`DATABASE_IDLE_IN_TRANSACTION_SECONDS`: PostgreSQL ends its session and the others go on."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from shared.db import create_engine
from tests.conftest import MakeDatabase

pytestmark = pytest.mark.postgres


async def test_a_row_locked_by_a_frozen_replica_is_free_again_after_the_idle_timeout(
    make_database: MakeDatabase,
) -> None:
    url = await make_database("credit")
    frozen = create_engine(url, idle_in_transaction_seconds=1.0)
    healthy = create_engine(url, idle_in_transaction_seconds=1.0)
    quota = (
        "INSERT INTO bank_quotas (bank_id, total, reserved, consumed, updated_at) "
        "VALUES ('bank-x', 100, 0, 0, now())"
    )
    reserve = "UPDATE bank_quotas SET reserved = reserved + 1 WHERE bank_id = 'bank-x'"
    try:
        async with healthy.begin() as connection:
            await connection.execute(text(quota))
        stuck = await frozen.connect()
        await stuck.begin()
        await stuck.execute(text(reserve))
        started = time.monotonic()
        async with healthy.begin() as connection:
            await asyncio.wait_for(connection.execute(text(reserve)), timeout=10)
        waited = time.monotonic() - started
        async with healthy.connect() as connection:
            reserved = await connection.scalar(
                text("SELECT reserved FROM bank_quotas WHERE bank_id = 'bank-x'")
            )
        await stuck.invalidate()
    finally:
        await frozen.dispose()
        await healthy.dispose()

    assert 0.5 < waited < 5, "the healthy replica waited for the idle timeout, and no longer"
    assert reserved == 1, "the frozen replica's uncommitted reservation was rolled back"
