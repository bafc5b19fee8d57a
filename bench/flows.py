"""The quick-loan flow benchmark: rate, latency and cost per flow, beside the bare stack.

Starts the embedded broker and the three services on PostgreSQL (fresh databases, dropped
afterwards), loads one patent per flow, then drives flows: the bank submits an application
over HTTP (with an Idempotency-Key, as a bank would), accepts the offer as soon as the
decision appears on the loans topic, and the flow's clock stops when `credit.loan.disbursed`
appears. Two phases run: closed loop (a fixed number of flows in flight) and open loop (flows
started at a fixed arrival rate, whatever the system's pace). For each phase it reports
flows/s, latency percentiles, CPU per flow of every process (the three services, the broker,
the PostgreSQL backends serving them), and database statements, transactions and broker
requests per flow (read from the services' /metrics). In the same run the bare same-shape
pipeline (`bench.bare`) is measured and the ratio to it reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from bench.bare import BareResult, run_bare
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
        headers={**BANK, "Idempotency-Key": f"apply-{i}"},
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
        f"{stack.url('credit')}/v1/loans/{loan_id}/offer/accept",
        headers={**BANK, "Idempotency-Key": f"accept-{loan_id}"},
    )
    accepted.raise_for_status()
    return await asyncio.wait_for(disbursed, 120) - started


@dataclass
class Snapshot:
    """Cumulative counters of every process at one moment."""

    cpu: dict[str, float]
    counters: dict[str, float]
    at: float


class Probe:
    """Reads CPU time per process and the services' counters."""

    def __init__(self, stack: LocalStack, broker: EmbeddedBroker, admin_url: str) -> None:
        self.stack = stack
        self.broker = broker
        self.admin_url = admin_url
        self.databases = [
            url.rsplit("/", 1)[1] for url in (stack.config.database_urls or {}).values()
        ]

    async def snapshot(self, client: httpx.AsyncClient) -> Snapshot:
        cpu: dict[str, float] = {}
        for service, process in self.stack.processes.items():
            cpu[service] = process_cpu(process.pid)
        assert self.broker.process is not None
        cpu["broker"] = process_cpu(self.broker.process.pid)
        for pid in await self._backends():
            cpu[f"pg:{pid}"] = process_cpu(pid)
        counters: dict[str, float] = {}
        for service in self.stack.processes:
            text = (await client.get(f"{self.stack.url(service)}/metrics")).text
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name in COUNTED:
                        counters[f"{service}:{sample.name}"] = (
                            counters.get(f"{service}:{sample.name}", 0.0) + sample.value
                        )
        return Snapshot(cpu, counters, time.perf_counter())

    async def _backends(self) -> list[int]:
        connection = await asyncpg.connect(self.admin_url)
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])",
                self.databases,
            )
        finally:
            await connection.close()
        return [row["pid"] for row in rows]


COUNTED = {
    "pledgeflow_db_statements_total": "statements",
    "pledgeflow_db_transactions_total": "transactions",
    "pledgeflow_broker_requests_total": "broker requests",
}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Phase:
    name: str
    flows: int
    seconds: float
    latencies: list[float]
    cpu_ms_per_flow: dict[str, float]
    per_flow: dict[str, float]

    @property
    def rate(self) -> float:
        return self.flows / self.seconds

    def figures(self) -> dict[str, Any]:
        ms = sorted(x * 1000 for x in self.latencies)
        return {
            "phase": self.name,
            "flows": self.flows,
            "flows_per_second": round(self.rate, 1),
            "latency_ms": {
                "p50": round(percentile(ms, 50)),
                "p95": round(percentile(ms, 95)),
                "p99": round(percentile(ms, 99)),
            },
            "cpu_ms_per_flow": {k: round(v, 2) for k, v in self.cpu_ms_per_flow.items()},
            "per_flow": {k: round(v, 1) for k, v in self.per_flow.items()},
        }


def phase_of(
    name: str, flows: int, before: Snapshot, after: Snapshot, latencies: list[float]
) -> Phase:
    cpu: dict[str, float] = {}
    for key, value in after.cpu.items():
        spent = value - before.cpu.get(key, 0.0 if key.startswith("pg:") else value)
        group = "postgresql" if key.startswith("pg:") else key
        cpu[group] = cpu.get(group, 0.0) + spent * 1000 / flows
    cpu["all processes"] = sum(cpu.values())
    per_flow: dict[str, float] = {}
    for key, value in after.counters.items():
        label = COUNTED[key.split(":", 1)[1]]
        per_flow[label] = per_flow.get(label, 0.0) + (value - before.counters.get(key, 0.0)) / flows
    return Phase(name, flows, after.at - before.at, latencies, cpu, per_flow)


async def closed_loop(
    client: httpx.AsyncClient,
    stack: LocalStack,
    watcher: FlowWatcher,
    first: int,
    flows: int,
    concurrency: int,
) -> list[float]:
    semaphore = asyncio.Semaphore(concurrency)

    async def bounded(i: int) -> float:
        async with semaphore:
            return await one_flow(client, stack, watcher, i)

    return await asyncio.gather(*(bounded(i) for i in range(first, first + flows)))


async def open_loop(
    client: httpx.AsyncClient,
    stack: LocalStack,
    watcher: FlowWatcher,
    first: int,
    flows: int,
    rate: float,
) -> list[float]:
    start = time.perf_counter()

    async def at_its_time(i: int) -> float:
        await asyncio.sleep(max(0.0, start + (i - first) / rate - time.perf_counter()))
        return await one_flow(client, stack, watcher, i)

    return await asyncio.gather(*(at_its_time(i) for i in range(first, first + flows)))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    flows, concurrency, rate, admin_url = args.flows, args.concurrency, args.rate, args.pg
    work = Path(tempfile.mkdtemp(prefix="pledgeflow-bench-"))
    broker = EmbeddedBroker(free_port(), work / "broker.log")
    await asyncio.to_thread(broker.start)
    urls = await create_databases(admin_url)
    bare_url = await create_bare_database(admin_url)
    config = StackConfig(
        data_dir=work,
        ports={s: free_port() for s in SERVICES},
        database_urls=urls,
        log_level="WARNING",
    )
    stack = LocalStack(config, broker_bootstrap=broker.bootstrap_servers)
    warm = max(10, concurrency)
    total = warm + flows * 2
    phases: list[Phase] = []
    try:
        await asyncio.to_thread(stack.start)
        probe = Probe(stack, broker, admin_url)
        limits = httpx.Limits(max_connections=max(concurrency, 50) * 2)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            await load_register(client, stack, total)
            watcher = FlowWatcher(broker.bootstrap_servers)
            await watcher.consumer.start()
            await watcher.consumer.getmany(timeout_ms=3000)
            pump = asyncio.create_task(watcher.run())
            await closed_loop(client, stack, watcher, 0, warm, concurrency)
            before = await probe.snapshot(client)
            latencies = await closed_loop(client, stack, watcher, warm, flows, concurrency)
            after = await probe.snapshot(client)
            phases.append(
                phase_of(f"closed loop, {concurrency} in flight", flows, before, after, latencies)
            )
            await asyncio.sleep(1)
            before = await probe.snapshot(client)
            latencies = await open_loop(client, stack, watcher, warm + flows, flows, rate)
            after = await probe.snapshot(client)
            phases.append(
                phase_of(f"open loop, {rate:g} flows/s offered", flows, before, after, latencies)
            )
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
            await watcher.consumer.stop()
        await asyncio.to_thread(stack.stop)
        bare = []
        for batched in (False, True):
            broker_before = process_cpu(broker.process.pid) if broker.process else 0.0
            backends_before = await bare_backends_cpu(admin_url, bare_url)
            result = await run_bare(
                broker.bootstrap_servers,
                bare_url,
                flows,
                concurrency,
                batched,
                BARE_TIMING,
            )
            broker_cpu = (
                process_cpu(broker.process.pid) if broker.process else 0.0
            ) - broker_before
            backends = await bare_backends_cpu(admin_url, bare_url)
            pg_cpu = sum(v - backends_before.get(k, 0.0) for k, v in backends.items())
            bare.append((result, (result.process_cpu + broker_cpu + pg_cpu) * 1000 / flows))
    finally:
        await asyncio.to_thread(stack.stop)
        await asyncio.to_thread(broker.stop)
        await drop_databases(admin_url, {**urls, "bare": bare_url})
    return report(phases, bare, args.json)


async def create_bare_database(admin_url: str) -> str:
    name = f"pledgeflow_bench_bare_{uuid.uuid4().hex[:6]}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


async def bare_backends_cpu(admin_url: str, bare_url: str) -> dict[int, float]:
    connection = await asyncpg.connect(admin_url)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", bare_url.rsplit("/", 1)[1]
        )
    finally:
        await connection.close()
    return {row["pid"]: process_cpu(row["pid"]) for row in rows}


BARE_TIMING = {
    "session_timeout_ms": EMBEDDED_SESSION_TIMEOUT_MS,
    "heartbeat_interval_ms": EMBEDDED_HEARTBEAT_INTERVAL_MS,
    "fetch_max_wait_ms": EMBEDDED_FETCH_MAX_WAIT_MS,
}


def report(
    phases: list[Phase], bare: list[tuple[BareResult, float]], as_json: bool
) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "phases": [phase.figures() for phase in phases],
        "bare_pipeline": [
            {
                "mode": result.mode,
                "flows_per_second": round(result.rate, 1),
                "latency_ms_p50": round(percentile(sorted(x * 1000 for x in result.latencies), 50)),
                "cpu_ms_per_flow": round(cpu, 2),
            }
            for result, cpu in bare
        ],
    }
    best_bare = max(result.rate for result, _ in bare)
    for entry, phase in zip(figures["phases"], phases, strict=True):
        entry["ratio_to_bare"] = round(phase.rate / best_bare, 3)
    if as_json:
        print(json.dumps(figures, indent=2))
        return figures
    rows = [("", *(p.name for p in phases))]
    rows.append(("flows/s", *(f"{p.rate:.1f}" for p in phases)))
    for q in (50, 95, 99):
        rows.append(
            (
                f"latency p{q} (ms)",
                *(f"{percentile(sorted(x * 1000 for x in p.latencies), q):.0f}" for p in phases),
            )
        )
    keys = list(dict.fromkeys(k for p in phases for k in p.cpu_ms_per_flow))
    for key in keys:
        rows.append(
            (f"CPU ms/flow: {key}", *(f"{p.cpu_ms_per_flow.get(key, 0):.1f}" for p in phases))
        )
    for key in ("statements", "transactions", "broker requests"):
        rows.append((f"{key}/flow", *(f"{p.per_flow.get(key, 0):.1f}" for p in phases)))
    rows.append(
        (
            f"ratio to the bare pipeline ({best_bare:.0f} flows/s)",
            *(f"{p.rate / best_bare:.2f}" for p in phases),
        )
    )
    width = max(len(r[0]) for r in rows)
    columns = [max(len(r[i]) for r in rows) for i in range(1, len(rows[0]))]
    for row in rows:
        print(
            row[0].ljust(width), *(cell.rjust(w) for cell, w in zip(row[1:], columns, strict=True))
        )
    print()
    print("bare same-shape pipeline (aiokafka + asyncpg, 6 hops, a transaction per hop):")
    for result, cpu in bare:
        ms = sorted(x * 1000 for x in result.latencies)
        print(
            f"  {result.mode:8} {result.rate:7.1f} flows/s  p50 {percentile(ms, 50):.0f} ms  "
            f"CPU {cpu:.1f} ms/flow (its process, broker and PostgreSQL)"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description="Quick-loan flow benchmark")
    parser.add_argument("--flows", type=int, default=200, help="flows per phase")
    parser.add_argument("--concurrency", type=int, default=20, help="flows in flight (closed loop)")
    parser.add_argument("--rate", type=float, default=50.0, help="flows/s offered (open loop)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
