"""Expired rows are purged without waiting for writers, and an outbox is published again from
a point in time, in order per key, on PostgreSQL with the real migrations."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.valuation.app import create_app
from services.valuation.settings import ValuationSettings
from shared.bus.memory import InMemoryBus
from shared.db import create_engine, session_factory
from shared.dedup import processed_messages_table
from shared.outbox import OutboxRelay
from shared.recovery import beyond_retention, republish
from shared.retention import Purged, Purger, RetentionPolicy
from shared.tables import outbox_table, relay_leases_table
from shared.topics import CREDIT_LOANS, REGISTRY_RIGHTS
from tests.cli import pledgeflow
from tests.conftest import MakeDatabase
from tests.integration.conftest import eventually, running

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
POLICY = RetentionPolicy(
    outbox=timedelta(days=7),
    inbox=timedelta(days=14),
    idempotency_keys=timedelta(days=7),
    batch_size=2,
)
metadata = MetaData()
OUTBOX = outbox_table(metadata)
PROCESSED = processed_messages_table(metadata)
relay_leases_table(metadata)


@pytest.fixture
async def engine(make_database: MakeDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await make_database("credit"))
    try:
        yield engine
    finally:
        await engine.dispose()


async def add_outbox(
    engine: AsyncEngine,
    key: str,
    *,
    created: datetime,
    published: datetime | None,
    topic: str = CREDIT_LOANS,
) -> str:
    event_id = str(uuid.uuid4())
    async with engine.begin() as connection:
        await connection.execute(
            insert(OUTBOX).values(
                event_id=event_id,
                topic=topic,
                key=key,
                event_type="credit.loan.repaid",
                body=f'{{"event_id": "{event_id}"}}',
                correlation_id="case",
                created_at=created,
                published_at=published,
            )
        )
    return event_id


async def add_processed(engine: AsyncEngine, scope: str, at: datetime) -> str:
    key = str(uuid.uuid4())
    async with engine.begin() as connection:
        await connection.execute(
            insert(PROCESSED).values(scope=scope, key=key, fingerprint="f", processed_at=at)
        )
    return key


async def remaining(engine: AsyncEngine, table: Table, column: str) -> set[str]:
    async with engine.connect() as connection:
        return set((await connection.execute(select(table.c[column]))).scalars())


async def test_rows_past_their_retention_are_purged_and_the_rest_kept(
    engine: AsyncEngine,
) -> None:
    old, recent = NOW - timedelta(days=8), NOW - timedelta(days=6)
    expired_sent = [await add_outbox(engine, "L1", created=old, published=old) for _ in range(5)]
    kept_sent = await add_outbox(engine, "L1", created=recent, published=recent)
    never_sent = await add_outbox(engine, "L2", created=old, published=None)
    right = await add_outbox(engine, "P1", created=old, published=old, topic=REGISTRY_RIGHTS)
    await add_processed(engine, "consumer:credit.saga", NOW - timedelta(days=15))
    young_event = await add_processed(engine, "consumer:credit.saga", old)
    await add_processed(engine, "caller:bank-hangzhou", old)
    young_key = await add_processed(engine, "caller:bank-hangzhou", recent)

    purged = await Purger(engine, OUTBOX, PROCESSED, POLICY, clock=lambda: NOW).purge()

    assert purged == Purged(outbox=5, inbox=1, idempotency_keys=1)
    outbox_left = await remaining(engine, OUTBOX, "event_id")
    assert outbox_left == {kept_sent, never_sent, right}
    assert not outbox_left & set(expired_sent)
    assert await remaining(engine, PROCESSED, "key") == {young_event, young_key}


async def test_a_purge_passes_over_rows_a_writer_holds_instead_of_waiting(
    engine: AsyncEngine,
) -> None:
    old = NOW - timedelta(days=30)
    held = await add_outbox(engine, "L1", created=old, published=old)
    await add_outbox(engine, "L2", created=old, published=old)
    async with engine.connect() as writer:
        await writer.begin()
        await writer.execute(
            text("SELECT id FROM outbox WHERE event_id = :id FOR UPDATE"), {"id": held}
        )
        purger = Purger(engine, OUTBOX, PROCESSED, POLICY, clock=lambda: NOW)
        purged = await asyncio.wait_for(purger.purge(), timeout=5)
        await writer.rollback()
    assert purged.outbox == 1
    assert await remaining(engine, OUTBOX, "event_id") == {held}


async def test_republishing_sends_again_what_left_since_the_moment_in_order_per_key(
    engine: AsyncEngine,
) -> None:
    lost_from = NOW - timedelta(hours=1)
    earlier = NOW - timedelta(hours=2)
    await add_outbox(engine, "L1", created=earlier, published=earlier)
    long_ago = NOW - timedelta(days=30)
    right = await add_outbox(
        engine, "P1", created=long_ago, published=long_ago, topic=REGISTRY_RIGHTS
    )
    lost = [
        await add_outbox(engine, key, created=lost_from, published=lost_from + timedelta(minutes=i))
        for i, key in enumerate(["L1", "L2", "L1", "L1", "L2"])
    ]
    waiting = await add_outbox(engine, "L1", created=NOW, published=None)

    done = await republish(engine, "credit", lost_from)
    assert done.rows == 6
    assert done.oldest_kept == long_ago
    assert not beyond_retention(lost_from, timedelta(days=7), NOW)
    assert beyond_retention(NOW - timedelta(days=8), timedelta(days=7), NOW)

    bus = InMemoryBus()
    relay = OutboxRelay(session_factory(engine), OUTBOX, bus, name="credit")
    assert await relay.relay_once() == 7
    assert [body_id(m.value.decode()) for m in bus.messages(REGISTRY_RIGHTS)] == [right]
    sent = [m.value.decode() for m in bus.messages(CREDIT_LOANS)]
    by_key = {
        key: [m.value.decode() for m in bus.messages(CREDIT_LOANS) if m.key == key]
        for key in ("L1", "L2")
    }
    assert len(sent) == 6
    assert [body_id(b) for b in by_key["L1"]] == [lost[0], lost[2], lost[3], waiting]
    assert [body_id(b) for b in by_key["L2"]] == [lost[1], lost[4]]
    async with engine.connect() as connection:
        unsent = select(func.count()).where(OUTBOX.c.published_at.is_(None))
        assert await connection.scalar(unsent) == 0


def body_id(body: str) -> str:
    return body.split('"')[3]


async def test_the_operator_command_republishes_a_services_outbox(engine: AsyncEngine) -> None:
    sent = NOW - timedelta(minutes=30)
    await add_outbox(engine, "L1", created=sent, published=sent)
    url = engine.url.render_as_string(hide_password=False)
    since = (NOW - timedelta(hours=1)).isoformat()
    done = await pledgeflow(
        "recovery", "republish", "credit", "--since", since, "--database-url", url
    )
    assert done.exit_code == 0, done.output
    assert "credit: 1 events published at or after" in done.stdout
    async with engine.connect() as connection:
        unsent = select(func.count()).where(OUTBOX.c.published_at.is_(None))
        assert await connection.scalar(unsent) == 1
    naive = await pledgeflow(
        "recovery", "republish", "credit", "--since", "2026-06-01T00:00", "--database-url", url
    )
    assert naive.exit_code == 2, naive.output
    assert "zone" in naive.output


async def test_a_running_service_purges_on_its_own(make_database: MakeDatabase) -> None:
    settings = ValuationSettings(
        environment="test",
        database_url=await make_database("valuation"),
        kafka_bootstrap_servers="memory://",
        http_port=0,
        purge_interval=0.1,
    )
    async with running(create_app, settings) as valuation:
        engine = valuation.runtime.engine
        long_ago = datetime.now(UTC) - timedelta(days=8)
        await add_outbox(engine, "L1", created=long_ago, published=long_ago)
        await add_processed(engine, "consumer:valuation.rights", long_ago - timedelta(days=7))

        async def emptied() -> bool:
            return not await remaining(engine, OUTBOX, "event_id") and not await remaining(
                engine, PROCESSED, "key"
            )

        await eventually(emptied, timeout=10)
