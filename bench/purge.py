"""Purging expired rows while writers keep writing, on PostgreSQL.

`python -m bench.purge` fills a fresh credit database (real migrations) with published outbox
rows and handled event ids past their retention, then purges them with the service's purger
while a writer keeps committing outbox rows, as the units of work do. It prints the rows
purged per second and the writer's commit latency (p50/p99) before and during the purge. It
asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import MetaData, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.flows import percentile
from shared.db import create_engine
from shared.dedup import processed_messages_table
from shared.migrations import upgrade
from shared.retention import Purger, RetentionPolicy
from shared.tables import outbox_table

metadata = MetaData()
OUTBOX = outbox_table(metadata)
PROCESSED = processed_messages_table(metadata)


async def fill(engine: AsyncEngine, rows: int) -> None:
    """`rows` published outbox rows and as many handled event ids, all a month old."""
    month_ago = datetime.now(UTC) - timedelta(days=30)
    for start in range(0, rows, 5_000):
        count = min(5_000, rows - start)
        async with engine.begin() as connection:
            await connection.execute(
                insert(OUTBOX),
                [
                    {
                        "event_id": str(uuid.uuid4()),
                        "topic": "pledgeflow.credit.loans",
                        "key": f"loan-{(start + i) % 997}",
                        "event_type": "credit.loan.repaid",
                        "body": "{}" * 200,
                        "correlation_id": "bench",
                        "created_at": month_ago,
                        "published_at": month_ago,
                    }
                    for i in range(count)
                ],
            )
            await connection.execute(
                insert(PROCESSED),
                [
                    {
                        "scope": "consumer:credit.saga",
                        "key": str(uuid.uuid4()),
                        "fingerprint": "credit.loan.repaid",
                        "processed_at": month_ago,
                    }
                    for _ in range(count)
                ],
            )


async def write(engine: AsyncEngine, stop: asyncio.Event, latencies: list[float]) -> None:
    """Commit one new outbox row at a time until told to stop."""
    while not stop.is_set():
        started = time.perf_counter()
        async with engine.begin() as connection:
            await connection.execute(
                insert(OUTBOX).values(
                    event_id=str(uuid.uuid4()),
                    topic="pledgeflow.credit.loans",
                    key="loan-new",
                    event_type="credit.loan.repaid",
                    body="{}",
                    correlation_id="bench",
                    created_at=datetime.now(UTC),
                )
            )
        latencies.append(time.perf_counter() - started)


async def writer_for(engine: AsyncEngine, seconds: float) -> list[float]:
    latencies: list[float] = []
    stop = asyncio.Event()
    task = asyncio.create_task(write(engine, stop, latencies))
    await asyncio.sleep(seconds)
    stop.set()
    await task
    return latencies


def describe(latencies: list[float]) -> str:
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    return f"{len(latencies)} commits, p50 {p50:.1f} ms, p99 {p99:.1f} ms"


async def main(admin_url: str, rows: int, batch_size: int) -> None:
    name = f"pledgeflow_bench_purge_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{url}/{name}"
    try:
        await asyncio.to_thread(upgrade, "credit", url)
        engine = create_engine(url)
        try:
            await fill(engine, rows)
            print(f"filled: {rows} published outbox rows and {rows} handled event ids")
            print(f"writer alone:       {describe(await writer_for(engine, 3))}")
            purger = Purger(engine, OUTBOX, PROCESSED, RetentionPolicy(batch_size=batch_size))
            latencies: list[float] = []
            stop = asyncio.Event()
            writer = asyncio.create_task(write(engine, stop, latencies))
            started = time.perf_counter()
            purged = await purger.purge()
            elapsed = time.perf_counter() - started
            stop.set()
            await writer
            total = purged.outbox + purged.inbox
            print(
                f"purge: {purged.outbox} outbox rows and {purged.inbox} event ids in "
                f"{elapsed:.1f} s ({total / elapsed:,.0f} rows/s, batches of {batch_size})"
            )
            print(f"writer during purge: {describe(latencies)}")
        finally:
            await engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.pg, arguments.rows, arguments.batch_size))
