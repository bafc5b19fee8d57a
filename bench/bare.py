"""The bare same-shape pipeline: what six broker hops with a transaction each cost, and no more.

A flow is a record passed through six stages. Each stage consumes its topic and, in one
transaction, claims an inbox row and stages an outbox row; then it produces the record to the
next stage's topic, marks the outbox row sent and commits its offset. Written directly on
aiokafka and asyncpg, with nothing else: no web framework, no ORM, no envelope validation, no
domain. Run beside the real flow in the same benchmark, it is the floor the real system is
measured against.

Two modes: `serial` handles one record at a time (a transaction, a produce and an offset
commit per record); `batched` handles each fetched batch in one transaction with one produce
and one offset commit.
"""

from __future__ import annotations

import asyncio
import resource
import time
import uuid
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import OffsetAndMetadata, TopicPartition

HOPS = 6
SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    consumer text NOT NULL, event_id text NOT NULL, PRIMARY KEY (consumer, event_id));
CREATE TABLE IF NOT EXISTS outbox (
    id bigserial PRIMARY KEY, topic text NOT NULL, key text NOT NULL, body bytea NOT NULL,
    published_at timestamptz);
"""


@dataclass(frozen=True)
class BareResult:
    mode: str
    flows: int
    seconds: float
    latencies: list[float]
    process_cpu: float

    @property
    def rate(self) -> float:
        return self.flows / self.seconds


class Stage:
    """One hop: consume, claim the inbox row and stage the outbox row, produce, mark, commit."""

    def __init__(
        self, index: int, run: str, bootstrap: str, pool: asyncpg.Pool, batched: bool, timing: dict
    ) -> None:
        self.name = f"bare-{run}-s{index}"
        self.source = f"bare.{run}.s{index}"
        self.target = f"bare.{run}.s{index + 1}"
        self.pool = pool
        self.batched = batched
        self.consumer = AIOKafkaConsumer(
            self.source,
            bootstrap_servers=bootstrap,
            group_id=self.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **timing,
        )
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)

    async def start(self) -> None:
        await self.producer.start()
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.producer.stop()

    async def run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=500, max_records=200)
            for partition, messages in batches.items():
                if self.batched:
                    await self._hop(messages)
                    await self._commit(partition, messages[-1].offset)
                    continue
                for message in messages:
                    await self._hop([message])
                    await self._commit(partition, message.offset)

    async def _hop(self, messages: list) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.executemany(
                "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                [(self.name, f"{m.partition}:{m.offset}") for m in messages],
            )
            ids = [
                await connection.fetchval(
                    "INSERT INTO outbox (topic, key, body) VALUES ($1, $2, $3) RETURNING id",
                    self.target,
                    m.key.decode(),
                    m.value,
                )
                for m in messages
            ]
        sent = [await self.producer.send(self.target, m.value, key=m.key) for m in messages]
        await asyncio.gather(*sent)
        async with self.pool.acquire() as connection:
            await connection.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", ids
            )

    async def _commit(self, partition: TopicPartition, offset: int) -> None:
        await self.consumer.commit({partition: OffsetAndMetadata(offset + 1, "")})


async def run_bare(
    bootstrap: str,
    database_url: str,
    flows: int,
    concurrency: int,
    batched: bool,
    timing: dict,
) -> BareResult:
    """Drive `flows` records through the six hops, `concurrency` at a time."""
    run = uuid.uuid4().hex[:6]
    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=HOPS * 2)
    assert pool is not None
    async with pool.acquire() as connection:
        await connection.execute(SCHEMA)
    stages = [Stage(i, run, bootstrap, pool, batched, timing) for i in range(HOPS)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    sink = AIOKafkaConsumer(
        f"bare.{run}.s{HOPS}",
        bootstrap_servers=bootstrap,
        group_id=f"bare-{run}-sink",
        auto_offset_reset="earliest",
        **timing,
    )
    done: dict[str, asyncio.Future[float]] = {}
    await producer.start()
    for i in range(HOPS + 1):
        await producer.send_and_wait(f"bare.{run}.s{i}", b"warm-up", key=b"warm-up")
    await sink.start()
    for stage in stages:
        await stage.start()
    tasks = [asyncio.create_task(stage.run()) for stage in stages]

    async def drain() -> None:
        async for message in sink:
            future = done.get(message.key.decode())
            if future is not None and not future.done():
                future.set_result(time.perf_counter())

    pump = asyncio.create_task(drain())
    await asyncio.sleep(2)
    semaphore = asyncio.Semaphore(concurrency)
    loop = asyncio.get_running_loop()

    async def one(i: int) -> float:
        async with semaphore:
            key = f"flow-{run}-{i}"
            done[key] = loop.create_future()
            started = time.perf_counter()
            await producer.send_and_wait(f"bare.{run}.s0", b"x" * 900, key=key.encode())
            return await asyncio.wait_for(done[key], 120) - started

    cpu_before = _process_cpu()
    started = time.perf_counter()
    latencies = await asyncio.gather(*(one(i) for i in range(flows)))
    seconds = time.perf_counter() - started
    cpu = _process_cpu() - cpu_before
    for task in [*tasks, pump]:
        task.cancel()
    await asyncio.gather(*tasks, pump, return_exceptions=True)
    for stage in stages:
        await stage.stop()
    await sink.stop()
    await producer.stop()
    await pool.close()
    return BareResult("batched" if batched else "serial", flows, seconds, latencies, cpu)


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
