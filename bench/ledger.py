"""The price of the decision ledger: commits per second with and without it, on PostgreSQL.

`python -m bench.ledger` creates a fresh database with the shared tables (and the outbox's commit
notification, as the services' migrations install it), then commits units of work that each
stage one event of a decided case (an outbox row, as every decision writes),
first with no ledger, then with every event a decision (one chained entry per commit, appends
serialised on the head row), each at 1 and at `--concurrency` writers. It prints commits/s and
commit latency p50/p95 per phase, and checks that the chain it made verifies. It asserts
nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import text

from bench.flows import percentile
from shared.db import create_engine, session_factory
from shared.kernel.events import Aggregate, DomainEvent
from shared.ledger import Ledger, verify_chain
from shared.tables import new_metadata
from shared.uow import SqlUnitOfWork, Storage, TrackingRepository

DECIDED = "bench.case.decided"
# As every service's migrations install it: each outbox insert wakes the relays at commit.
NOTIFY_ON_OUTBOX = (
    "CREATE OR REPLACE FUNCTION pledgeflow_outbox_notify() RETURNS trigger AS $$ "
    "BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT "
    "EXECUTE FUNCTION pledgeflow_outbox_notify('pledgeflow_outbox_bench')",
)


@dataclass(frozen=True)
class CaseDecided(DomainEvent):
    topic = "pledgeflow.bench.cases"
    event_type = DECIDED
    number: str
    outcome: str
    amount: str


@dataclass
class Case(Aggregate):
    number: str

    @property
    def aggregate_id(self) -> str:
        return self.number


class Cases(TrackingRepository):
    def decided(self, number: str) -> None:
        case = self._seen(Case(number))
        case.record(CaseDecided(number, "approved", "500000.00"))


async def decide(storage: Storage) -> float:
    started = time.perf_counter()
    async with SqlUnitOfWork(storage) as uow:
        uow.repository(Cases(uow.session)).decided(str(uuid.uuid4()))
        await uow.commit()
    return time.perf_counter() - started


async def phase(storage: Storage, commits: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    remaining = commits

    async def writer() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            latencies.append(await decide(storage))

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "commits_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
    }


async def run(args: argparse.Namespace) -> None:
    name = f"pledgeflow_bench_ledger_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(args.pg)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"{args.pg.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+asyncpg://")
    metadata = new_metadata()
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            for statement in NOTIFY_ON_OUTBOX:
                await connection.execute(text(statement))
        sessions = session_factory(engine)
        tables = metadata.tables
        base: dict[str, Any] = {
            "sessions": sessions,
            "outbox": tables["outbox"],
            "processed": tables["processed_messages"],
            "producer": "bench",
        }
        modes = {
            "no ledger": Storage(**base),
            "ledger": Storage(**base, ledger=Ledger(tables, {DECIDED})),
        }
        await phase(modes["no ledger"], 50, 4)
        print(f"{'phase':<28} {'commits/s':>10} {'p50 ms':>8} {'p95 ms':>8}")
        for concurrency in (1, args.concurrency):
            for mode, storage in modes.items():
                figures = await phase(storage, args.commits, concurrency)
                print(
                    f"{mode + f', {concurrency} writers':<28} {figures['commits_per_s']:>10.0f} "
                    f"{figures['p50_ms']:>8.2f} {figures['p95_ms']:>8.2f}"
                )
        async with engine.connect() as connection:
            verdict = await verify_chain(connection, tables, "bench")
        print(f"chain of {verdict.entries} entries intact: {verdict.intact}")
    finally:
        await engine.dispose()
        admin = await asyncpg.connect(args.pg)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Decision ledger benchmark")
    parser.add_argument("--commits", type=int, default=2000, help="commits per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="writers in the second round")
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
