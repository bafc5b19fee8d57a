"""The three services as real processes on the embedded broker, each with its own PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from shared.devstack import LocalStack, StackConfig, free_port
from shared.migrations import SERVICES
from tests.conftest import PG_ADMIN_URL, MakeDatabase
from tests.dates import MOVED_TODAY_VARIABLE


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The service processes keep the real clock, so they cannot follow a moved test clock."""
    if not os.environ.get(MOVED_TODAY_VARIABLE):
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(
        reason=f"service processes run on the real clock, not on {MOVED_TODAY_VARIABLE}"
    )
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(skip)


TOPICS = (
    "pledgeflow.credit.loans",
    "pledgeflow.valuation.valuations",
    "pledgeflow.registry.rights",
    "pledgeflow.registry.pledges",
)


@pytest.fixture(scope="session")
async def stack(
    broker: str,
    make_database: MakeDatabase,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[LocalStack]:
    """Registry, valuation and credit running against the session's broker."""
    assert PG_ADMIN_URL
    urls = {service: await make_database() for service in SERVICES}
    config = StackConfig(
        data_dir=tmp_path_factory.mktemp("stack"),
        ports={service: free_port() for service in SERVICES},
        database_urls=urls,
        reconciliation_grace_seconds=0,
    )
    local = LocalStack(config, broker_bootstrap=broker)
    try:
        await asyncio.to_thread(local.start)
        yield local
    finally:
        await asyncio.to_thread(local.stop)
        _print_logs_on_failure(config.data_dir)


def _print_logs_on_failure(data_dir: Path) -> None:
    for log in sorted((data_dir / "logs").glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-20:]
        errors = [line for line in tail if '"level": "error"' in line]
        if errors:
            print(f"--- {log.name}\n" + "\n".join(errors))


@dataclass
class TopicWatcher:
    """An outside subscriber (think: an insurer) reading every topic from the beginning."""

    events: list[dict] = field(default_factory=list)
    by_key: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))

    def of_correlation(self, correlation_id: str) -> list[dict]:
        """One case's events in the order they happened."""
        case = [e for e in self.events if e["correlation_id"] == correlation_id]
        return sorted(case, key=lambda e: e["occurred_at"])

    async def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 30) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for event in self.events:
                if predicate(event):
                    return event
            await asyncio.sleep(0.1)
        raise AssertionError("the expected event never appeared on the topics")


@pytest.fixture(scope="session")
async def watcher(stack: LocalStack, broker: str) -> AsyncIterator[TopicWatcher]:
    consumer = AIOKafkaConsumer(
        *TOPICS,
        bootstrap_servers=broker,
        group_id=f"insurer-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        session_timeout_ms=2000,
        heartbeat_interval_ms=400,
    )
    await consumer.start()
    seen = TopicWatcher()

    async def pump() -> None:
        async for message in consumer:
            event = json.loads(message.value)
            seen.events.append(event)
            seen.by_key[message.key.decode()].append(event)

    task = asyncio.create_task(pump())
    yield seen
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await consumer.stop()


@pytest.fixture
def unique_numbers() -> Iterator[Callable[[], str]]:
    """Fresh valid invention patent numbers, so tests never share a right."""
    from shared.identifiers import patent_check_digit

    def make() -> str:
        serial = f"{uuid.uuid4().int % 10_000_000:07d}"
        digits = f"20191{serial}"
        return f"{digits}.{patent_check_digit(digits)}"

    yield make
