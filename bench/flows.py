"""Drive N concurrent quick-loan flows through the running system and print the figures.

Starts the embedded broker and the three services on PostgreSQL (fresh databases, dropped
afterwards), loads one patent per flow, then for every flow: the bank submits an application
over HTTP, accepts the offer as soon as the decision appears on the loans topic, and the clock
stops when `credit.loan.disbursed` appears. In the same run, the raw broker produce-consume
rate for the same number of events is measured as the floor to compare with.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.auth import Role, bearer
from shared.devstack import (
    EMBEDDED_FETCH_MAX_WAIT_MS,
    EMBEDDED_HEARTBEAT_INTERVAL_MS,
    EMBEDDED_SESSION_TIMEOUT_MS,
    EmbeddedBroker,
    LocalStack,
    StackConfig,
    free_port,
)
from shared.identifiers import make_uscc, patent_check_digit
from shared.issuer import development_issuer
from shared.migrations import SERVICES
from shared.tokens import audience
from shared.workdays import BEIJING

ISSUER = development_issuer()
BANK = bearer(ISSUER.issue("bank-hangzhou", Role.BANK, audience=audience("credit")))
OFFICE = bearer(
    ISSUER.issue(
        "bench-clerk", Role.ADMINISTRATOR, audience=[audience("registry"), audience("valuation")]
    )
)
EVENTS_PER_FLOW = 8


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def create_databases(admin_url: str) -> dict[str, str]:
    connection = await asyncpg.connect(admin_url)
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    urls = {}
    try:
        for service in SERVICES:
            name = f"pledgeflow_bench_{service}_{uuid.uuid4().hex[:6]}"
            await connection.execute(f'CREATE DATABASE "{name}"')
            urls[service] = f"{base}/{name}"
    finally:
        await connection.close()
    return urls


async def drop_databases(admin_url: str, urls: dict[str, str]) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        for url in urls.values():
            await connection.execute(
                f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'
            )
    finally:
        await connection.close()


def patent_number(i: int) -> str:
    digits = f"20201{(i + 1000000) % 10_000_000:07d}"
    return f"{digits}.{patent_check_digit(digits)}"


def fees_paid_through() -> str:
    """A year ahead of today in Beijing, so the registry finds every annual fee paid."""
    return (datetime.now(BEIJING).date() + timedelta(days=365)).isoformat()


async def load_register(client: httpx.AsyncClient, stack: LocalStack, flows: int) -> None:
    semaphore = asyncio.Semaphore(16)
    paid_through = fees_paid_through()

    async def one(i: int) -> None:
        async with semaphore:
            number = patent_number(i)
            response = await client.put(
                f"{stack.url('registry')}/internal/v1/patents/{number}",
                headers=OFFICE,
                json={
                    "number": number,
                    "title": f"Bench invention {i}",
                    "holders": [{"name": f"Bench Co {i}", "uscc": make_uscc(i)}],
                    "filing_date": "2020-01-10",
                    "grant_date": "2022-05-01",
                    "legal_status": "valid",
                    "fees_paid_through": paid_through,
                },
            )
            response.raise_for_status()

    await asyncio.gather(*(one(i) for i in range(flows)))
    for i in range(flows):
        url = f"{stack.url('valuation')}/internal/v1/rights/{patent_number(i)}"
        while (await client.get(url, headers=OFFICE)).status_code != 200:
            await asyncio.sleep(0.1)


class FlowWatcher:
    """Follows the loans topic: accepts offers and stops each flow's clock at disbursement."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            "pledgeflow.credit.loans",
            bootstrap_servers=bootstrap,
            group_id=f"bench-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="latest",
            session_timeout_ms=EMBEDDED_SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=EMBEDDED_HEARTBEAT_INTERVAL_MS,
            fetch_max_wait_ms=EMBEDDED_FETCH_MAX_WAIT_MS,
        )
        self.decided: dict[str, asyncio.Future[str]] = {}
        self.disbursed: dict[str, asyncio.Future[float]] = {}

    def expect(self, loan_id: str) -> tuple[asyncio.Future[str], asyncio.Future[float]]:
        loop = asyncio.get_running_loop()
        self.decided.setdefault(loan_id, loop.create_future())
        self.disbursed.setdefault(loan_id, loop.create_future())
        return self.decided[loan_id], self.disbursed[loan_id]

    async def run(self) -> None:
        async for message in self.consumer:
            event = json.loads(message.value)
            loan_id = event["aggregate_id"]
            decided, disbursed = self.expect(loan_id)
            if event["event_type"] == "credit.loan.decided" and not decided.done():
                decided.set_result(event["payload"]["outcome"])
            elif event["event_type"] == "credit.loan.disbursed" and not disbursed.done():
                disbursed.set_result(time.perf_counter())


async def one_flow(
    client: httpx.AsyncClient, stack: LocalStack, watcher: FlowWatcher, i: int
) -> float:
    started = time.perf_counter()
    response = await client.post(
        f"{stack.url('credit')}/v1/loan-applications",
        headers=BANK,
        json={
            "enterprise": {
                "uscc": make_uscc(i),
                "name": f"Bench Co {i}",
                "address": "Bench Road",
                "size_class": "small",
            },
            "requested_amount": "500000.00",
            "term_months": 12,
            "purpose": "working capital",
            "collateral": [{"right_type": "patent", "number": patent_number(i)}],
            "attributable_revenue": "30000000.00",
        },
    )
    response.raise_for_status()
    loan_id = response.json()["loan_id"]
    decided, disbursed = watcher.expect(loan_id)
    if await asyncio.wait_for(decided, 120) != "approve":
        raise RuntimeError(f"flow {i} was declined")
    accepted = await client.post(
        f"{stack.url('credit')}/v1/loans/{loan_id}/offer/accept", headers=BANK
    )
    accepted.raise_for_status()
    return await asyncio.wait_for(disbursed, 120) - started


async def broker_floor(bootstrap: str, events: int) -> float:
    """Seconds to produce and consume `events` records of flow-event size on the same broker."""
    topic = f"bench.floor.{uuid.uuid4().hex[:6]}"
    value = b"x" * 900
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"floor-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=EMBEDDED_SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=EMBEDDED_HEARTBEAT_INTERVAL_MS,
        fetch_max_wait_ms=EMBEDDED_FETCH_MAX_WAIT_MS,
    )
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up", key=b"w")
    await consumer.start()
    await consumer.getmany(timeout_ms=3000)
    started = time.perf_counter()
    futures = [await producer.send(topic, value, key=str(i % 64).encode()) for i in range(events)]
    await asyncio.gather(*futures)
    received = 0
    while received < events:
        batches = await consumer.getmany(timeout_ms=1000)
        for partition, messages in batches.items():
            received += len(messages)
            await consumer.commit({partition: messages[-1].offset + 1})
    elapsed = time.perf_counter() - started
    await consumer.stop()
    await producer.stop()
    return elapsed


async def run(flows: int, concurrency: int, admin_url: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="pledgeflow-bench-"))
    broker = EmbeddedBroker(free_port(), work / "broker.log")
    await asyncio.to_thread(broker.start)
    urls = await create_databases(admin_url)
    config = StackConfig(
        data_dir=work,
        ports={s: free_port() for s in SERVICES},
        database_urls=urls,
        log_level="WARNING",
    )
    stack = LocalStack(config, broker_bootstrap=broker.bootstrap_servers)
    try:
        await asyncio.to_thread(stack.start)
        limits = httpx.Limits(max_connections=concurrency * 2)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            await load_register(client, stack, flows)
            watcher = FlowWatcher(broker.bootstrap_servers)
            await watcher.consumer.start()
            await watcher.consumer.getmany(timeout_ms=3000)
            pump = asyncio.create_task(watcher.run())
            semaphore = asyncio.Semaphore(concurrency)

            async def bounded(i: int) -> float:
                async with semaphore:
                    return await one_flow(client, stack, watcher, i)

            started = time.perf_counter()
            latencies = await asyncio.gather(*(bounded(i) for i in range(flows)))
            wall = time.perf_counter() - started
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
            await watcher.consumer.stop()
        floor = await broker_floor(broker.bootstrap_servers, flows * EVENTS_PER_FLOW)
    finally:
        await asyncio.to_thread(stack.stop)
        await asyncio.to_thread(broker.stop)
        await drop_databases(admin_url, urls)
    report(flows, concurrency, wall, latencies, floor)


def report(flows: int, concurrency: int, wall: float, latencies: list[float], floor: float) -> None:
    ms = [x * 1000 for x in latencies]
    events = flows * EVENTS_PER_FLOW
    print(f"quick-loan flows          {flows} (concurrency {concurrency})")
    print(f"wall time                 {wall:.2f} s")
    print(f"throughput                {flows / wall:.1f} flows/s ({events / wall:.0f} events/s)")
    print(
        "latency application->disbursed  "
        f"p50 {percentile(ms, 50):.0f} ms  p95 {percentile(ms, 95):.0f} ms  "
        f"p99 {percentile(ms, 99):.0f} ms  mean {statistics.fmean(ms):.0f} ms"
    )
    print(
        f"broker floor              {events} events produced+consumed in {floor:.2f} s "
        f"({events / floor:.0f} events/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Quick-loan flow benchmark")
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    args = parser.parse_args()
    asyncio.run(run(args.flows, args.concurrency, args.pg))


if __name__ == "__main__":
    main()
