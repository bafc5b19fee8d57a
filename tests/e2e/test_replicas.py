"""Two replicas of every service: one killed and one frozen mid-run, no flow lost, doubled or
stalled for longer than the documented bound.

The replicas run as real processes on a broker and databases of their own (they would share
consumer groups with the session's stack otherwise). Requests go to live replicas only, as a
load balancer's health check would arrange; a request cut short by a replica's death is sent
again to another with the same Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from shared.devreplicas import ReplicatedStack
from shared.devstack import EMBEDDED_SESSION_TIMEOUT_MS, EmbeddedBroker, StackConfig, free_port
from shared.identifiers import make_uscc, patent_check_digit
from shared.migrations import SERVICES
from tests.conftest import MakeDatabase
from tests.dates import years_from_today
from tests.e2e.conftest import TOPICS, TopicWatcher
from tests.e2e.flows import BANK, CASE_EVENTS, OFFICE, application

pytestmark = [pytest.mark.broker, pytest.mark.postgres]

FLOWS = 24
IN_FLIGHT = 4
LEASE_SECONDS = 5.0
POLL_INTERVAL = 0.5  # the local stack's relay poll
FREEZE_SECONDS = LEASE_SECONDS + 3
# The documented bound on a stall: the lease and a poll for publishing to move to another
# replica, plus twice the session timeout for the group to hand the frozen or dead replica's
# partitions over (detection, then the rebalance).
BOUND = LEASE_SECONDS + POLL_INTERVAL + 2 * EMBEDDED_SESSION_TIMEOUT_MS / 1000
# A flow's own time on this shared two-core machine, on top of the stall.
MARGIN = 6.0


@dataclass
class Balancer:
    """Sends each request to the next live replica; another one if the first cannot answer."""

    stack: ReplicatedStack
    client: httpx.AsyncClient
    out: set[str] = field(default_factory=set)
    _turn: int = 0

    def live(self, service: str) -> list[str]:
        return [name for name in self.stack.names(service) if name not in self.out]

    async def request(self, method: str, service: str, path: str, **kw: Any) -> httpx.Response:
        for _ in range(60):
            live = self.live(service)
            self._turn += 1
            url = self.stack.replica_url(live[self._turn % len(live)]) + path
            try:
                response = await self.client.request(method, url, **kw)
            except httpx.TransportError:
                await asyncio.sleep(0.2)
                continue
            if response.status_code == 409 and "idempotency.conflict" in response.text:
                await asyncio.sleep(0.2)
                continue
            return response
        raise AssertionError(f"no replica of {service} answered {method} {path}")


def patent_number() -> str:
    digits = f"20191{uuid.uuid4().int % 10_000_000:07d}"
    return f"{digits}.{patent_check_digit(digits)}"


async def until(balancer: Balancer, service: str, path: str, ready: Any, headers: Any) -> Any:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = await balancer.request("GET", service, path, headers=headers)
        if response.status_code == 200 and ready(response.json()):
            return response.json()
        await asyncio.sleep(0.1)
    raise AssertionError(f"{service} {path} never became ready")


async def flow(balancer: Balancer, i: int) -> dict[str, Any]:
    """A quick loan from the register entry to disbursement; returns the disbursed loan."""
    number, uscc, case = patent_number(), make_uscc(500 + i), f"replicas-{uuid.uuid4().hex[:8]}"
    patent = {
        "number": number,
        "title": "Aspheric lens grinding apparatus",
        "holders": [{"name": "Shanghai Lens Optics Co., Ltd.", "uscc": uscc}],
        "filing_date": "2019-03-01",
        "grant_date": "2021-06-15",
        "legal_status": "valid",
        "fees_paid_through": years_from_today(1).isoformat(),
        "main_ipc": "B24B13/00",
    }
    put = await balancer.request(
        "PUT", "registry", f"/internal/v1/patents/{number}", json=patent, headers=OFFICE
    )
    assert put.status_code == 200, put.text
    await until(balancer, "valuation", f"/internal/v1/rights/{number}", bool, OFFICE)
    key = {"Idempotency-Key": f"apply-{case}", "X-Correlation-Id": case}
    created = await balancer.request(
        "POST",
        "credit",
        "/v1/loan-applications",
        json=application(uscc, number),
        headers=BANK | key,
    )
    assert created.status_code in (200, 201), created.text
    loan_id = created.json()["loan_id"]
    path = f"/v1/loans/{loan_id}"
    await until(balancer, "credit", path, lambda loan: loan["status"] == "offered", BANK)
    accepted = await balancer.request(
        "POST", "credit", f"{path}/offer/accept", headers=BANK | {"Idempotency-Key": f"ok-{case}"}
    )
    assert accepted.status_code == 200, accepted.text
    loan = await until(balancer, "credit", path, lambda loan: loan["status"] == "disbursed", BANK)
    return dict(loan) | {"case": case}


async def lease_holder(stack: ReplicatedStack, service: str) -> str:
    """The replica whose relay holds the service's lease (its pid is in the holder's name)."""
    url = stack.config.database_url(service).replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(url)
    try:
        holder = await connection.fetchval(
            "SELECT holder FROM relay_leases WHERE name = $1 AND expires_at > now()", service
        )
    finally:
        await connection.close()
    by_pid = {str(p.pid): name for name, p in stack.processes.items() if name.startswith(service)}
    pid = str(holder).rsplit("-", 2)[-2] if holder else ""
    return by_pid.get(pid, stack.names(service)[0])


@pytest.fixture(scope="module")
async def replicas(
    make_database: MakeDatabase, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ReplicatedStack]:
    data_dir = tmp_path_factory.mktemp("replicas")
    broker = EmbeddedBroker(free_port(), data_dir / "logs" / "broker.log")
    broker.start()
    config = StackConfig(
        data_dir=data_dir,
        ports={service: free_port() for service in SERVICES},
        database_urls={service: await make_database() for service in SERVICES},
    )
    settings = {"OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS)}
    stack = ReplicatedStack(config, broker.bootstrap_servers, replicas=2, settings=settings)
    try:
        await asyncio.to_thread(stack.start)
        yield stack
    finally:
        await asyncio.to_thread(stack.stop)
        broker.stop()


async def watch(stack: ReplicatedStack, seen: TopicWatcher) -> None:
    consumer = AIOKafkaConsumer(
        *TOPICS,
        bootstrap_servers=stack.bootstrap,
        group_id=f"auditor-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        session_timeout_ms=2000,
        heartbeat_interval_ms=400,
    )
    await consumer.start()
    try:
        async for message in consumer:
            event = json.loads(message.value)
            seen.events.append(event)
            seen.by_key[message.key.decode()].append(event)
    finally:
        await consumer.stop()


async def test_flows_complete_once_each_while_a_replica_is_killed_and_another_frozen(
    replicas: ReplicatedStack,
) -> None:
    seen = TopicWatcher()
    watcher = asyncio.create_task(watch(replicas, seen))
    finished: list[float] = []
    loans: list[dict[str, Any]] = []
    lanes = asyncio.Semaphore(IN_FLIGHT)
    async with httpx.AsyncClient(timeout=4) as client:
        balancer = Balancer(replicas, client)

        async def one(i: int) -> None:
            async with lanes:
                loans.append(await flow(balancer, i))
                finished.append(time.monotonic())

        async def chaos() -> list[str]:
            while len(finished) < FLOWS // 4:
                await asyncio.sleep(0.05)
            killed = await lease_holder(replicas, "registry")
            balancer.out.add(killed)
            replicas.kill(killed)
            while len(finished) < FLOWS // 2:
                await asyncio.sleep(0.05)
            frozen = await lease_holder(replicas, "credit")
            balancer.out.add(frozen)
            replicas.freeze(frozen)
            await asyncio.sleep(FREEZE_SECONDS)
            replicas.thaw(frozen)
            balancer.out.discard(frozen)
            return [killed, frozen]

        started = time.monotonic()
        troubled = asyncio.create_task(chaos())
        await asyncio.gather(*(one(i) for i in range(FLOWS)))
        killed, frozen = await troubled

    try:
        cases = {loan["case"] for loan in loans}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _all_on_the_topics(seen, cases):
            await asyncio.sleep(0.2)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)

    gaps = [later - earlier for earlier, later in itertools.pairwise([started, *finished])]
    copies = Counter(e["event_id"] for e in seen.events)
    print(
        f"\n{FLOWS} flows, {killed} killed, {frozen} frozen for {FREEZE_SECONDS:.0f} s: "
        f"longest gap between completed flows {max(gaps):.1f} s (bound {BOUND:.1f} s), "
        f"records published more than once on the topics: {sum(n - 1 for n in copies.values())}"
    )
    assert len(loans) == FLOWS
    assert len({loan["loan_id"] for loan in loans}) == FLOWS
    assert len({loan["pledge_registration_number"] for loan in loans}) == FLOWS
    for case in cases:
        steps = _distinct(seen, case)
        assert sorted(e["event_type"] for e in steps) == sorted(CASE_EVENTS), case
    for loan in loans:
        versions = sorted(e["aggregate_version"] for e in _distinct_by_key(seen, loan["loan_id"]))
        assert versions == list(range(1, len(versions) + 1)), loan["loan_id"]
    assert max(gaps) < BOUND + MARGIN


def _distinct(seen: TopicWatcher, case: str) -> list[dict[str, Any]]:
    """A case's events, each once whatever the number of copies the relays published."""
    return list({e["event_id"]: e for e in seen.events if e["correlation_id"] == case}.values())


def _distinct_by_key(seen: TopicWatcher, key: str) -> list[dict[str, Any]]:
    return list({e["event_id"]: e for e in seen.by_key[key]}.values())


def _all_on_the_topics(seen: TopicWatcher, cases: set[str]) -> bool:
    counts = Counter(e["correlation_id"] for e in {e["event_id"]: e for e in seen.events}.values())
    return all(counts[case] >= len(CASE_EVENTS) for case in cases)
