"""Outbox and inbox guarantees, on PostgreSQL, over the in-memory bus and the real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, Integer, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.bus.base import EventBus, Record
from shared.consumer import EventConsumer, PermanentError, RetryPolicy, dead_letter_topic
from shared.db import create_engine, new_metadata, session_factory
from shared.envelope import Envelope
from shared.kernel.events import Aggregate, DomainEvent
from shared.outbox import OutboxRelay
from shared.uow import Storage, UnitOfWork

metadata = new_metadata()
accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("balance", Integer, nullable=False),
)
ledger = Table(
    "ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("amount", Integer, nullable=False),
)


@dataclass(frozen=True)
class Deposited(DomainEvent):
    event_type = "test.deposited"
    topic = "unset"
    account_id: str
    amount: int


@dataclass
class Account(Aggregate):
    account_id: str
    balance: int = 0

    @property
    def aggregate_id(self) -> str:
        return self.account_id

    def deposit(self, amount: int, topic: str) -> None:
        self.balance += amount
        event = Deposited(self.account_id, amount)
        object.__setattr__(event, "topic", topic)
        self.record(event)


@dataclass
class Harness:
    bus: EventBus
    engine: AsyncEngine
    storage: Storage
    relay: OutboxRelay
    topic: str

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.storage)

    async def deposit(self, account_id: str, amounts: Sequence[int]) -> None:
        async with self.uow() as uow:
            account = Account(account_id)
            for amount in amounts:
                account.deposit(amount, self.topic)
            await uow.session.execute(accounts.insert().values(account_id=account_id, balance=0))
            uow.track(account)
            await uow.commit()

    def consumer(self, name: str, handler: Callable[..., object] | None = None) -> EventConsumer:
        async def book(envelope: Envelope, uow: UnitOfWork) -> None:
            if envelope.payload.get("amount") == 13:
                raise PermanentError("test.unlucky", "thirteen is refused")
            await uow.session.execute(
                ledger.insert().values(
                    event_id=envelope.event_id, amount=int(envelope.payload["amount"])
                )
            )

        return EventConsumer(
            name,
            self.bus,
            [self.topic],
            {"test.deposited": handler or book},  # type: ignore[dict-item]
            self.uow,
            retry=RetryPolicy(max_attempts=3, first_delay=0.01),
        )

    async def ledger_amounts(self) -> list[int]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(select(ledger.c.amount).order_by(ledger.c.id))
            return [row.amount for row in rows]

    async def unpublished(self) -> int:
        outbox = self.storage.outbox
        async with self.engine.connect() as connection:
            query = select(func.count()).where(outbox.c.published_at.is_(None))
            return int((await connection.execute(query)).scalar_one())


@pytest.fixture
async def harness(bus: EventBus, make_database: Callable[..., object]) -> AsyncIterator[Harness]:
    url = await make_database()  # type: ignore[misc]
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    topic = f"contract.accounts.{uuid.uuid4().hex[:8]}"
    ensure = getattr(bus, "ensure_topics", None)
    if ensure:
        await ensure([topic])
    sessions = session_factory(engine)
    relay = OutboxRelay(sessions, metadata.tables["outbox"], bus, name="test", poll_interval=30)
    storage = Storage(
        sessions, metadata.tables["outbox"], metadata.tables["inbox"], "test", relay.notify
    )
    yield Harness(bus, engine, storage, relay, topic)
    await engine.dispose()


async def _until(condition: Callable[[], object], timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await condition():  # type: ignore[misc]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def _run(consumer: EventConsumer) -> asyncio.Task[None]:
    return asyncio.create_task(consumer.run())


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_events_leave_only_with_the_committed_state_change(harness: Harness) -> None:
    async with harness.uow() as uow:
        account = Account("rolled-back")
        account.deposit(5, harness.topic)
        uow.track(account)
        await uow.session.execute(accounts.insert().values(account_id="rolled-back", balance=5))
    await harness.deposit("kept", [7])
    assert await harness.unpublished() == 1
    assert await harness.relay.relay_once() == 1
    assert await harness.unpublished() == 0


async def test_relay_publishes_in_order_per_key_and_the_consumer_books_each_once(
    harness: Harness,
) -> None:
    await harness.deposit("acc-1", [1, 2, 3, 4, 5])
    await harness.deposit("acc-2", [10, 20])
    relay = asyncio.create_task(harness.relay.run())
    consumer = harness.consumer("books")
    task = await _run(consumer)
    try:
        await _until(lambda: _count(harness, 7))
    finally:
        await _stop(task)
        await _stop(relay)
    amounts = await harness.ledger_amounts()
    assert [a for a in amounts if a < 10] == [1, 2, 3, 4, 5]
    assert sorted(amounts) == [1, 2, 3, 4, 5, 10, 20]


async def _count(harness: Harness, expected: int) -> bool:
    return len(await harness.ledger_amounts()) >= expected


async def test_a_commit_wakes_the_relay_without_waiting_for_the_poll(harness: Harness) -> None:
    relay = asyncio.create_task(harness.relay.run())
    try:
        await asyncio.sleep(0.2)
        await harness.deposit("acc-fast", [3])
        await _until(lambda: _none_unpublished(harness), timeout=5)
    finally:
        await _stop(relay)


async def _none_unpublished(harness: Harness) -> bool:
    return await harness.unpublished() == 0


async def test_the_same_event_delivered_twice_has_one_effect(harness: Harness) -> None:
    await harness.deposit("acc-dup", [42])
    await harness.relay.relay_once()
    envelope_row = await _outbox_body(harness)
    await harness.bus.publish([Record(harness.topic, "acc-dup", envelope_row)])
    task = await _run(harness.consumer("dedup"))
    try:
        await _until(lambda: _count(harness, 1))
        await asyncio.sleep(1.0)
    finally:
        await _stop(task)
    assert await harness.ledger_amounts() == [42]


async def _outbox_body(harness: Harness) -> bytes:
    outbox = harness.storage.outbox
    async with harness.engine.connect() as connection:
        return str((await connection.execute(select(outbox.c.body))).scalar_one()).encode()


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs."""


async def test_a_consumer_killed_between_effect_and_offset_commit_loses_and_doubles_nothing(
    harness: Harness,
) -> None:
    await harness.deposit("acc-crash", [1, 2, 3])
    await harness.relay.relay_once()
    crashing = harness.consumer("crashy")
    original = crashing.process

    async def process_then_die(message: object) -> None:
        await original(message)  # type: ignore[arg-type]
        if len(await harness.ledger_amounts()) == 2:
            raise Crash()

    crashing.process = process_then_die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await crashing.run()
    assert await harness.ledger_amounts() == [1, 2]

    task = await _run(harness.consumer("crashy"))
    try:
        await _until(lambda: _count(harness, 3))
        await asyncio.sleep(1.0)
    finally:
        await _stop(task)
    assert await harness.ledger_amounts() == [1, 2, 3]


async def test_a_poison_event_goes_to_the_dead_letter_topic_and_later_events_flow(
    harness: Harness,
) -> None:
    await harness.bus.publish([Record(harness.topic, "acc-p", b"{not json")])
    await harness.deposit("acc-p", [13, 8])
    await harness.relay.relay_once()
    dlq = dead_letter_topic("poisoned")
    ensure = getattr(harness.bus, "ensure_topics", None)
    if ensure:
        await ensure([dlq])
    task = await _run(harness.consumer("poisoned"))
    try:
        await _until(lambda: _count(harness, 1))
    finally:
        await _stop(task)
    assert await harness.ledger_amounts() == [8]
    watcher = harness.bus.subscribe(f"watch-{uuid.uuid4().hex[:6]}", [dlq])
    await watcher.start()
    try:
        dead: list = []
        deadline = asyncio.get_running_loop().time() + 20
        while len(dead) < 2 and asyncio.get_running_loop().time() < deadline:
            dead += await watcher.poll(timeout=0.5)
    finally:
        await watcher.stop()
    assert sorted(m.header("dlq.reason") for m in dead) == ["envelope.not_json", "test.unlucky"]
    assert {m.header("dlq.source_topic") for m in dead} == {harness.topic}


class FlakyBus:
    """Fails the first publishes, as a broker outage would."""

    def __init__(self, inner: EventBus, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    async def publish(self, records: Sequence[Record]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker unavailable")
        await self.inner.publish(records)


async def test_an_unpublishable_batch_stays_in_the_outbox_until_the_broker_returns(
    harness: Harness,
) -> None:
    await harness.deposit("acc-outage", [9])
    flaky = OutboxRelay(
        harness.storage.sessions,
        harness.storage.outbox,
        FlakyBus(harness.bus, failures=2),  # type: ignore[arg-type]
        name="flaky",
        poll_interval=0.05,
    )
    with pytest.raises(ConnectionError):
        await flaky.relay_once()
    assert await harness.unpublished() == 1
    relay = asyncio.create_task(flaky.run())
    try:
        await _until(lambda: _none_unpublished(harness), timeout=10)
    finally:
        await _stop(relay)
    task = await _run(harness.consumer("after-outage"))
    try:
        await _until(lambda: _count(harness, 1))
    finally:
        await _stop(task)
    assert await harness.ledger_amounts() == [9]
