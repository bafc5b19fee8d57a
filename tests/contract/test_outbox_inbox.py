"""Outbox and inbox guarantees, on PostgreSQL, over the in-memory bus and the real broker."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

import pytest
from sqlalchemy import Column, Integer, String, Table, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm.exc import StaleDataError

from shared.bus.base import EventBus, Message, Record
from shared.consumer import EventConsumer, PermanentError, Reaction
from shared.db import create_engine, session_factory
from shared.envelope import Envelope
from shared.kernel.events import Aggregate, DomainEvent
from shared.kernel.messages import Command
from shared.messagebus import MessageBus, On
from shared.outbox import OutboxRelay
from shared.retry import Backoff
from shared.tables import new_metadata
from shared.topics import dead_letter_topic
from shared.uow import SqlUnitOfWork, Storage, TrackingRepository

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


class Accounts(TrackingRepository):
    async def add(self, account: Account) -> None:
        self._seen(account)
        await self.session.execute(
            accounts.insert().values(account_id=account.account_id, balance=0)
        )


class AccountsUnitOfWork(SqlUnitOfWork):
    accounts: Accounts

    async def __aenter__(self) -> AccountsUnitOfWork:
        await super().__aenter__()
        self.accounts = self.repository(Accounts(self.session))
        return self


@dataclass(frozen=True)
class Deposit(Command):
    account_id: str
    amounts: tuple[int, ...]
    topic: str


@dataclass(frozen=True)
class Book(Command):
    event_id: str
    amount: int


async def deposit(command: Deposit, uow: AccountsUnitOfWork) -> None:
    account = Account(command.account_id)
    for amount in command.amounts:
        account.deposit(amount, command.topic)
    await uow.accounts.add(account)


async def book(command: Book, uow: AccountsUnitOfWork) -> None:
    if command.amount == 13:
        raise PermanentError("test.unlucky", "thirteen is refused")
    await uow.session.execute(
        ledger.insert().values(event_id=command.event_id, amount=command.amount)
    )


def booking(envelope: Envelope) -> Book:
    return Book(envelope.event_id, int(envelope.payload["amount"]))


@dataclass
class Harness:
    bus: EventBus
    engine: AsyncEngine
    storage: Storage
    relay: OutboxRelay
    topic: str
    handlers: dict[type[Command], On[object]] = field(default_factory=dict)

    def uow(self) -> AccountsUnitOfWork:
        return AccountsUnitOfWork(self.storage)

    @property
    def messages(self) -> MessageBus[AccountsUnitOfWork]:
        commands: dict[type[Command], On[object]] = {Deposit: On(deposit), Book: On(book)}
        return MessageBus(self.uow, commands | self.handlers, conflict_attempts=3, first_delay=0.01)

    async def deposit(self, account_id: str, amounts: Sequence[int]) -> None:
        await self.messages.handle(Deposit(account_id, tuple(amounts), self.topic))

    def consumer(
        self,
        name: str,
        reaction: Reaction | None = None,
        catalogue: dict[str, frozenset[str]] | None = None,
    ) -> EventConsumer:
        return EventConsumer(
            name,
            self.bus,
            [self.topic],
            {"test.deposited": reaction or Reaction(booking)},
            self.messages,
            catalogue=catalogue or {self.topic: frozenset({"test.deposited", "test.audited"})},
            backoff=Backoff(first=0.01, cap=0.05),
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
        sessions,
        metadata.tables["outbox"],
        metadata.tables["processed_messages"],
        "test",
        relay.notify,
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
    async def refuse(command: Deposit, uow: AccountsUnitOfWork) -> None:
        await deposit(command, uow)
        raise PermanentError("test.refused", "changed my mind")

    harness.handlers[Deposit] = On(refuse)
    with pytest.raises(PermanentError):
        await harness.deposit("rolled-back", [5])
    harness.handlers.clear()
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
    original = crashing.process_batch

    async def handle_then_die(batch: Sequence[Message]) -> None:
        await original(batch)
        raise Crash()

    crashing.process_batch = handle_then_die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await crashing.run()
    booked = await harness.ledger_amounts()
    assert booked and booked == [1, 2, 3][: len(booked)]

    restarted = harness.consumer("crashy")
    redelivered: list[Message] = []
    handle = restarted.process_batch

    async def watched(batch: Sequence[Message]) -> None:
        redelivered.extend(batch)
        await handle(batch)

    restarted.process_batch = watched  # type: ignore[method-assign]
    task = await _run(restarted)
    try:
        await _until(lambda: _count(harness, 3))
        await _until(lambda: _true(len(redelivered) >= 3))
    finally:
        await _stop(task)
    assert await harness.ledger_amounts() == [1, 2, 3]
    assert restarted.handled == 3 - len(booked)


async def _true(value: bool) -> bool:
    return value


def _delivery(topic: str, offset: int, key: str, amount: int, correlation: str) -> Message:
    value = Envelope(
        event_type="test.deposited",
        schema_version=1,
        aggregate_id=key,
        aggregate_version=offset + 1,
        producer="test",
        payload={"account_id": key, "amount": amount},
        correlation_id=correlation,
    ).to_json()
    return Message(topic, 0, offset, key, value)


async def _commits_during(harness: Harness, work: Callable[[], Awaitable[None]]) -> int:
    commits: list[object] = []

    def count(*_: object) -> None:
        commits.append(None)

    event.listen(harness.engine.sync_engine, "commit", count)
    try:
        await work()
    finally:
        event.remove(harness.engine.sync_engine, "commit", count)
    return len(commits)


async def test_a_batch_of_events_is_booked_in_one_transaction_each_once_in_key_order(
    harness: Harness,
) -> None:
    batch = [
        _delivery(harness.topic, n, key, amount, f"case-{n}")
        for n, (key, amount) in enumerate([("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5)])
    ]
    consumer = harness.consumer("together")

    commits = await _commits_during(harness, lambda: consumer.process_batch(batch))
    assert commits == 1
    assert await harness.ledger_amounts() == [1, 2, 3, 4, 5]
    assert consumer.handled == 5

    again = harness.consumer("together")
    await again.process_batch(batch)
    assert await harness.ledger_amounts() == [1, 2, 3, 4, 5]
    assert again.handled == 0


async def test_a_refused_event_in_a_batch_is_dead_lettered_and_the_rest_are_booked_once(
    harness: Harness,
) -> None:
    await _ensure_dead_letter_topic(harness, "mixed")
    batch = [
        _delivery(harness.topic, n, key, amount, f"case-{n}")
        for n, (key, amount) in enumerate([("a", 1), ("b", 13), ("a", 2), ("c", 3)])
    ]
    consumer = harness.consumer("mixed")
    await consumer.process_batch(batch)

    assert sorted(await harness.ledger_amounts()) == [1, 2, 3]
    [dead] = await _dead_letters(harness, "mixed", 1)
    assert dead.header("dlq.reason") == "test.unlucky"
    assert consumer.handled == 3


async def test_events_staged_together_keep_each_their_own_correlation_and_cause(
    harness: Harness,
) -> None:
    def opening(envelope: Envelope) -> Deposit:
        amount = int(envelope.payload["amount"])
        return Deposit(f"opened-{amount}", (amount,), harness.topic)

    consumer = EventConsumer(
        "opener",
        harness.bus,
        [harness.topic],
        {"test.deposited": Reaction(opening)},
        harness.messages,
        catalogue={harness.topic: frozenset({"test.deposited"})},
    )
    batch = [_delivery(harness.topic, n, "x", n + 1, f"case-{n}") for n in range(3)]
    await consumer.process_batch(batch)

    outbox = harness.storage.outbox
    async with harness.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(outbox.c.key, outbox.c.correlation_id, outbox.c.body).order_by(outbox.c.id)
            )
        ).all()
    assert [(row.key, row.correlation_id) for row in rows] == [
        ("opened-1", "case-0"),
        ("opened-2", "case-1"),
        ("opened-3", "case-2"),
    ]
    causes = [Envelope.from_json(row.body).causation_id for row in rows]
    assert causes == [Envelope.from_json(m.value).event_id for m in batch]


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
    assert sorted(str(m.header("dlq.reason")) for m in dead) == [
        "envelope.not_json",
        "test.unlucky",
    ]
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


def _deposited(amount: int, *, event_type: str = "test.deposited", version: int = 1) -> bytes:
    return Envelope(
        event_type=event_type,
        schema_version=version,
        aggregate_id="acc-x",
        aggregate_version=1,
        producer="test",
        payload={"account_id": "acc-x", "amount": amount},
        correlation_id=str(uuid.uuid4()),
    ).to_json()


async def _dead_letters(harness: Harness, consumer: str, expected: int) -> list[Message]:
    watcher = harness.bus.subscribe(f"watch-{uuid.uuid4().hex[:6]}", [dead_letter_topic(consumer)])
    await watcher.start()
    dead: list[Message] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while len(dead) < expected and asyncio.get_running_loop().time() < deadline:
            dead += await watcher.poll(timeout=0.5)
    finally:
        await watcher.stop()
    return dead


async def _ensure_dead_letter_topic(harness: Harness, consumer: str) -> None:
    ensure = getattr(harness.bus, "ensure_topics", None)
    if ensure:
        await ensure([dead_letter_topic(consumer)])


async def test_types_and_versions_the_consumer_cannot_know_are_dead_lettered_with_a_reason(
    harness: Harness,
) -> None:
    consumer = "strict"
    await _ensure_dead_letter_topic(harness, consumer)
    records = [
        _deposited(1, event_type="test.withdrawn"),
        _deposited(2, event_type="test.audited"),
        _deposited(3, version=99),
        _deposited(4),
    ]
    await harness.bus.publish([Record(harness.topic, "acc-x", value) for value in records])
    task = await _run(harness.consumer(consumer))
    try:
        await _until(lambda: _count(harness, 1))
        dead = await _dead_letters(harness, consumer, 2)
    finally:
        await _stop(task)
    assert await harness.ledger_amounts() == [4]
    reasons = sorted(str(m.header("dlq.reason")) for m in dead)
    assert reasons == ["envelope.unknown_type", "envelope.unsupported_version"]
    details = " ".join(m.header("dlq.detail") or "" for m in dead)
    assert "test.withdrawn" in details and "v99" in details


def _upcast_deposited(envelope: Envelope) -> dict[str, object]:
    """Version 2 of `test.deposited` names the amount `amount_units`; version 1 is read as
    version 2 by renaming the field."""
    payload = dict(envelope.payload)
    if envelope.schema_version == 1:
        payload["amount_units"] = payload.pop("amount")
    return payload


def booking_v2(envelope: Envelope) -> Book:
    return Book(envelope.event_id, int(str(_upcast_deposited(envelope)["amount_units"])))


async def test_an_older_version_is_upcast_and_handled_like_the_current_one(
    harness: Harness,
) -> None:
    consumer = "upcasting"
    await _ensure_dead_letter_topic(harness, consumer)
    current = Envelope(
        event_type="test.deposited",
        schema_version=2,
        aggregate_id="acc-x",
        aggregate_version=2,
        producer="test",
        payload={"account_id": "acc-x", "amount_units": 6},
        correlation_id=str(uuid.uuid4()),
    ).to_json()
    records = [_deposited(5), current, _deposited(7, version=3)]
    await harness.bus.publish([Record(harness.topic, "acc-x", value) for value in records])
    reaction = Reaction(booking_v2, versions=frozenset({1, 2}))
    task = await _run(harness.consumer(consumer, reaction))
    try:
        await _until(lambda: _count(harness, 2))
        dead = await _dead_letters(harness, consumer, 1)
    finally:
        await _stop(task)
    assert await harness.ledger_amounts() == [5, 6]
    assert [m.header("dlq.reason") for m in dead] == ["envelope.unsupported_version"]


async def test_a_transient_outage_is_retried_with_backoff_until_it_succeeds(
    harness: Harness,
) -> None:
    failures = [ConnectionError("database unreachable")] * 3
    attempts: list[float] = []

    async def flaky_book(command: Book, uow: AccountsUnitOfWork) -> None:
        attempts.append(asyncio.get_running_loop().time())
        if failures:
            raise failures.pop()
        await book(command, uow)

    harness.handlers[Book] = On(flaky_book)
    await harness.bus.publish([Record(harness.topic, "acc-x", _deposited(21))])
    task = await _run(harness.consumer("patient"))
    try:
        await _until(lambda: _count(harness, 1))
    finally:
        await _stop(task)
    assert await harness.ledger_amounts() == [21]
    assert len(attempts) == 4
    pauses = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert all(pause >= 0.009 * 2**n for n, pause in enumerate(pauses)), pauses


async def test_a_conflict_that_keeps_happening_exhausts_into_the_dead_letter_topic(
    harness: Harness,
) -> None:
    consumer = "contended"
    await _ensure_dead_letter_topic(harness, consumer)
    tries: dict[str, int] = {}

    async def always_losing(command: Book, uow: AccountsUnitOfWork) -> None:
        tries[command.event_id] = tries.get(command.event_id, 0) + 1
        raise StaleDataError("changed concurrently")

    harness.handlers[Book] = On(always_losing)
    await harness.bus.publish(
        [Record(harness.topic, "acc-x", value) for value in (_deposited(5), _deposited(6))]
    )
    task = await _run(harness.consumer(consumer))
    try:
        dead = await _dead_letters(harness, consumer, 2)
    finally:
        await _stop(task)
    assert [m.header("dlq.reason") for m in dead] == ["retries_exhausted", "retries_exhausted"]
    # Each event is tried three times on its own; the first of a batch polled at once was
    # also tried once in the batch's transaction.
    assert sorted(tries.values()) in ([3, 3], [3, 4])
    assert await harness.ledger_amounts() == []


def _second_relay(harness: Harness, bus: EventBus, lease_seconds: float) -> OutboxRelay:
    return OutboxRelay(
        harness.storage.sessions,
        harness.storage.outbox,
        bus,
        name="test",
        poll_interval=0.05,
        lease_seconds=lease_seconds,
    )


async def test_a_relay_that_stops_renewing_its_lease_hands_publishing_to_another(
    harness: Harness,
) -> None:
    frozen = _second_relay(harness, harness.bus, lease_seconds=1.0)
    healthy = _second_relay(harness, harness.bus, lease_seconds=1.0)
    await harness.deposit("acc-lease", [1])
    assert await frozen.relay_once() == 1
    await harness.deposit("acc-lease-2", [2])
    assert await healthy.relay_once() == 0, "only the lease holder publishes"
    await asyncio.sleep(1.2)
    assert await healthy.relay_once() == 1
    assert await frozen.relay_once() == 0, "the lease moved on"
    assert await harness.unpublished() == 0


async def test_a_relay_frozen_after_taking_its_lease_does_not_publish_once_it_ran_out(
    harness: Harness,
) -> None:
    frozen = _second_relay(harness, harness.bus, lease_seconds=0.4)
    take = frozen.lease.hold

    async def taken_then_frozen() -> bool:
        held = await take()
        await asyncio.sleep(0.5)
        return held

    frozen.lease.hold = taken_then_frozen  # type: ignore[method-assign]
    await harness.deposit("acc-frozen", [4])

    assert await frozen.relay_once() == 0
    assert await harness.unpublished() == 1
    healthy = _second_relay(harness, harness.bus, lease_seconds=0.4)
    assert await healthy.relay_once() == 1


class RefusingBus:
    """A broker this replica cannot reach."""

    async def publish(self, records: Sequence[Record]) -> None:
        raise ConnectionError("broker unreachable from this replica")


async def test_a_relay_the_broker_refuses_gives_its_lease_up_at_once(harness: Harness) -> None:
    cut_off = _second_relay(harness, RefusingBus(), lease_seconds=30.0)  # type: ignore[arg-type]
    healthy = _second_relay(harness, harness.bus, lease_seconds=30.0)
    await harness.deposit("acc-cut", [3])
    task = asyncio.create_task(cut_off.run())
    try:
        await _until(lambda: _holds(cut_off), timeout=5)
        await _until(lambda: _publishes(healthy), timeout=5)
    finally:
        await _stop(task)
    assert await harness.unpublished() == 0


async def _holds(relay: OutboxRelay) -> bool:
    return relay.lease.holder is not None and relay.published == 0


async def _publishes(relay: OutboxRelay) -> bool:
    return await relay.relay_once() > 0


@dataclass
class WatchedBus:
    """The broker as one relay reaches it, noting what that relay published, in order."""

    bus: EventBus
    relay: str
    published: list[tuple[str, str, int, str]]

    async def publish(self, records: Sequence[Record]) -> None:
        await asyncio.sleep(0.01)  # an acknowledgement takes a while: the other relay runs
        for record in records:
            envelope = Envelope.from_json(record.value)
            self.published.append(
                (self.relay, record.key, envelope.aggregate_version, envelope.event_id)
            )
        await self.bus.publish(records)


async def test_two_relays_side_by_side_publish_each_row_once_in_commit_order_per_key(
    harness: Harness,
) -> None:
    published: list[tuple[str, str, int, str]] = []
    relays = [
        OutboxRelay(
            harness.storage.sessions,
            harness.storage.outbox,
            WatchedBus(harness.bus, name, published),  # type: ignore[arg-type]
            name="test",
            batch_size=3,
            poll_interval=0.01,
            lease_seconds=30,
        )
        for name in ("replica-a", "replica-b")
    ]
    tasks = [asyncio.create_task(relay.run()) for relay in relays]
    try:
        for n in range(8):
            await asyncio.gather(*(harness.deposit(f"acc-{n}-{k}", [1, 2, 3]) for k in range(3)))
        await _until(lambda: _none_unpublished(harness), timeout=30)
    finally:
        for task in tasks:
            await _stop(task)
    event_ids = [event_id for *_, event_id in published]
    assert len(event_ids) == 72 and len(set(event_ids)) == 72, "each row published once"
    assert {relay for relay, *_ in published} in ({"replica-a"}, {"replica-b"}), (
        "only the lease holder publishes"
    )
    by_key: dict[str, list[int]] = {}
    for _, key, version, _ in published:
        by_key.setdefault(key, []).append(version)
    assert all(versions == [1, 2, 3] for versions in by_key.values()), by_key
    assert sum(relay.published for relay in relays) == 72


async def test_the_trace_context_a_record_carries_goes_with_the_events_it_causes(
    harness: Harness,
) -> None:
    def opening(envelope: Envelope) -> Deposit:
        amount = int(envelope.payload["amount"])
        return Deposit(f"traced-{amount}", (amount,), harness.topic)

    consumer = EventConsumer(
        "tracer",
        harness.bus,
        [harness.topic],
        {"test.deposited": Reaction(opening)},
        harness.messages,
        catalogue={harness.topic: frozenset({"test.deposited"})},
    )
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    headers: list[tuple[tuple[str, bytes], ...]] = [
        (("traceparent", traceparent.encode()),),
        (("traceparent", b"00-" + b"f" * 200),),  # too long for the column, not W3C
        (("traceparent", b"\xff\xfe not text"),),
        (),
    ]
    batch = [
        replace(_delivery(harness.topic, n, f"t{n}", n + 1, f"case-{n}"), headers=h)
        for n, h in enumerate(headers)
    ]
    await consumer.process_batch(batch)

    outbox = harness.storage.outbox
    async with harness.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(outbox.c.key, outbox.c.traceparent).order_by(outbox.c.key)
            )
        ).all()
    assert [(row.key, row.traceparent) for row in rows] == [
        ("traced-1", traceparent),
        ("traced-2", None),
        ("traced-3", None),
        ("traced-4", None),
    ]


async def test_the_backlog_an_operator_sees_counts_the_rows_not_yet_published(
    harness: Harness,
) -> None:
    await harness.deposit("acc-backlog", [1, 2, 3])
    assert await harness.relay.backlog() == 3
    assert await harness.relay.relay_once() == 3
    assert await harness.relay.backlog() == 0


async def test_rows_leave_in_commit_order_even_after_an_earlier_row_was_rewritten(
    harness: Harness,
) -> None:
    await harness.deposit("acc-rewritten", [1, 2, 3])
    outbox = harness.storage.outbox
    async with harness.engine.begin() as connection:
        first = (await connection.execute(select(func.min(outbox.c.id)))).scalar_one()
        # an operator's repair rewrites the first row: PostgreSQL stores it anew, last
        await connection.execute(
            outbox.update().where(outbox.c.id == first).values(key=outbox.c.key)
        )
    published: list[tuple[str, str, int, str]] = []
    relay = OutboxRelay(
        harness.storage.sessions,
        outbox,
        WatchedBus(harness.bus, "only", published),  # type: ignore[arg-type]
        name="test",
    )
    assert await relay.relay_once() == 3
    assert [version for _, _, version, _ in published] == [1, 2, 3]


async def test_a_relay_that_keeps_working_keeps_its_lease(harness: Harness) -> None:
    working = _second_relay(harness, harness.bus, lease_seconds=1.0)
    waiting = _second_relay(harness, harness.bus, lease_seconds=1.0)
    await harness.deposit("acc-keep", [1])
    assert await working.relay_once() == 1
    await asyncio.sleep(0.5)
    await working.relay_once()  # a third of the lease has passed: it is renewed
    await asyncio.sleep(0.6)
    await harness.deposit("acc-keep-2", [2])
    assert await waiting.relay_once() == 0, "the lease was renewed and is still held"
    assert await working.relay_once() == 1


async def test_a_commit_in_another_replica_wakes_the_relay_at_once(harness: Harness) -> None:
    # This relay is not the one the storage notifies in process: only PostgreSQL's NOTIFY
    # can wake it before its 30-second poll.
    other = OutboxRelay(
        harness.storage.sessions, harness.storage.outbox, harness.bus, name="test", poll_interval=30
    )
    async with harness.engine.begin() as connection:  # the trigger the migrations install
        await connection.execute(
            text(
                "CREATE OR REPLACE FUNCTION pledgeflow_outbox_notify() RETURNS trigger AS $$ "
                "BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END; $$ "
                "LANGUAGE plpgsql"
            )
        )
        await connection.execute(
            text(
                "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT "
                "EXECUTE FUNCTION pledgeflow_outbox_notify('pledgeflow_outbox_test')"
            )
        )
    task = asyncio.create_task(other.run())
    try:
        await asyncio.sleep(0.5)
        await harness.deposit("acc-elsewhere", [4])
        await _until(lambda: _none_unpublished(harness), timeout=5)
    finally:
        await _stop(task)
    assert other.published == 1


async def test_a_relay_the_broker_refuses_frees_its_lease_for_another_replica_at_once(
    harness: Harness,
) -> None:
    cut_off = _second_relay(harness, RefusingBus(), lease_seconds=30.0)  # type: ignore[arg-type]
    healthy = _second_relay(harness, harness.bus, lease_seconds=30.0)
    await harness.deposit("acc-freed", [5])
    with pytest.raises(ConnectionError):
        await cut_off.relay_once()
    assert await healthy.relay_once() == 0, "the refused relay still holds the lease"
    await cut_off.lease.release()
    assert await healthy.relay_once() == 1
