"""Outages as an operator meets them: a database or broker blip is waited out, never a loss.

Every consumer decides with one table whether a failure is worth waiting out (the database or
the broker is unavailable), a lost race to try again, or an event that can never be processed
and goes to the dead-letter topic. Sending an event to the dead-letter topic on the first
dropped connection would leave a loan or a pledge stuck until someone replays it by hand;
retrying a broken event for ever would block its partition. These tests raise the failures
the drivers really raise and watch what the consumer does with the event.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, create_engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm.exc import StaleDataError

from shared.bus.base import Message, Record
from shared.bus.memory import InMemoryBus
from shared.consumer import EventConsumer, PermanentError, Reaction, dead_letter_reason
from shared.dedup import Dedup, processed_messages_table
from shared.envelope import Envelope
from shared.idempotency import required_key
from shared.kernel.messages import Command
from shared.messagebus import MessageBus, On, WriteConflict
from shared.metrics import Metrics
from shared.outbox import RelayLease
from shared.problems import Problem
from shared.retry import Backoff, is_conflict, is_dropped_connection, is_outage
from shared.tables import new_metadata
from shared.topics import dead_letter_topic
from tests.fakes.base import FakeUnitOfWork, Store

TOPIC = "test.things"


class Driver(Exception):
    """What asyncpg or psycopg attach to SQLAlchemy's error: the SQLSTATE of the failure."""

    def __init__(self, sqlstate: str | None = None, pgcode: str | None = None) -> None:
        super().__init__(sqlstate or pgcode or "driver error")
        self.sqlstate = sqlstate
        self.pgcode = pgcode


def dropped() -> DBAPIError:
    return DBAPIError("SELECT 1", {}, Driver(), connection_invalidated=True)


OUTAGES = {
    "database refuses connections": OperationalError(
        "SELECT 1", {}, ConnectionRefusedError("connection refused")
    ),
    "pooled connection dropped": dropped(),
    "driver interface gone": InterfaceError("SELECT 1", {}, Driver()),
    "broker unreachable": ConnectionError("broker unreachable"),
    "connection reset": ConnectionResetError("reset by peer"),
    "timed out": TimeoutError("no answer in 30 s"),
}
RACES = {
    "serialization failure": OperationalError("UPDATE", {}, Driver(sqlstate="40001")),
    "deadlock (psycopg)": OperationalError("UPDATE", {}, Driver(pgcode="40P01")),
    "duplicate key": IntegrityError("INSERT", {}, Driver(sqlstate="23505")),
    "row changed meanwhile": StaleDataError("expected 1 row, updated 0"),
}
NEITHER = {
    "a bug": KeyError("amount"),
    "a refusal of the database": DBAPIError("INSERT", {}, Driver(sqlstate="22001")),
    "an unexpected value": ValueError("no such kind"),
}


@pytest.mark.parametrize("exc", OUTAGES.values(), ids=OUTAGES.keys())
def test_database_and_broker_outages_are_waited_out(exc: BaseException) -> None:
    assert is_outage(exc)
    assert not is_conflict(exc)
    assert dead_letter_reason(exc) is None


@pytest.mark.parametrize("exc", RACES.values(), ids=RACES.keys())
def test_lost_races_are_tried_again_not_waited_out(exc: BaseException) -> None:
    assert is_conflict(exc)
    assert not is_outage(exc)


@pytest.mark.parametrize("exc", NEITHER.values(), ids=NEITHER.keys())
def test_other_failures_are_neither_outages_nor_races(exc: BaseException) -> None:
    assert not is_outage(exc) and not is_conflict(exc)
    assert dead_letter_reason(exc) == (reason_of(exc), repr(exc))


def reason_of(exc: BaseException) -> str:
    """A database error's own code (SQLAlchemy's, e.g. `dbapi`), else `handler.failed`."""
    return "dbapi" if isinstance(exc, DBAPIError) else "handler.failed"


def test_only_a_connection_the_pool_lost_is_a_dropped_connection() -> None:
    assert is_dropped_connection(dropped())
    assert not is_dropped_connection(OUTAGES["database refuses connections"])
    assert not is_dropped_connection(ConnectionError("broker unreachable"))


def test_refusals_and_exhausted_conflicts_carry_their_own_dead_letter_reasons() -> None:
    assert dead_letter_reason(PermanentError("pledge.unknown_right", "no such right")) == (
        "pledge.unknown_right",
        "no such right",
    )
    assert dead_letter_reason(WriteConflict("BookLoan: lost 4 races")) == (
        "retries_exhausted",
        "BookLoan: lost 4 races",
    )


def test_the_wait_between_tries_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first=0.05, cap=0.3)
    assert [backoff.delay(n) for n in range(1, 6)] == [0.05, 0.1, 0.2, 0.3, 0.3]
    assert Backoff().delay(1) == 0.05 and Backoff().delay(30) == 5.0


# --- the consumer meeting them ---------------------------------------------------------------


@dataclass(frozen=True)
class Book(Command):
    event_id: str
    amount: int


@dataclass
class Ledger:
    """A handler that fails with the given exceptions first, then books the amount."""

    failures: list[BaseException]
    booked: list[int]
    store: Store
    tries: int = 0

    async def book(self, command: Book, uow: FakeUnitOfWork) -> None:
        self.tries += 1
        if self.failures:
            raise self.failures.pop(0)
        self.booked.append(command.amount)
        uow.working("ledger")[command.event_id] = command.amount


def deposited(amount: int) -> Envelope:
    return Envelope(
        event_type="test.deposited",
        schema_version=1,
        aggregate_id="acc-1",
        aggregate_version=amount,
        producer="test",
        payload={"amount": amount},
        correlation_id=str(uuid.uuid4()),
    )


async def consumer_for(
    failures: list[BaseException], metrics: Metrics | None = None
) -> tuple[Ledger, EventConsumer, InMemoryBus]:
    store = Store()
    ledger = Ledger(failures, [], store=store)
    messages = MessageBus(
        lambda: FakeUnitOfWork(store),
        {Book: On(ledger.book)},
        conflict_attempts=3,
        first_delay=0.001,
    )
    bus = InMemoryBus()
    consumer = EventConsumer(
        "bookkeeper",
        bus,
        [TOPIC],
        {"test.deposited": Reaction(lambda e: Book(e.event_id, int(e.payload["amount"])))},
        messages,
        catalogue={TOPIC: frozenset({"test.deposited"})},
        backoff=Backoff(first=0.001, cap=0.004),
        metrics=metrics,
    )
    return ledger, consumer, bus


async def deliver(
    *failures: BaseException, deliveries: int = 2, metrics: Metrics | None = None
) -> tuple[Ledger, InMemoryBus, Store]:
    """Deliver one event `deliveries` times (a redelivery after a restart) to a consumer."""
    ledger, consumer, bus = await consumer_for(list(failures), metrics)
    await bus.publish([Record(TOPIC, "acc-1", deposited(42).to_json())])
    [message] = bus.messages(TOPIC)
    for _ in range(deliveries):
        await consumer.process(message)
    return ledger, bus, ledger.store


def dead_letters(bus: InMemoryBus) -> list[Message]:
    return bus.messages(dead_letter_topic("bookkeeper"))


@pytest.mark.parametrize("exc", OUTAGES.values(), ids=OUTAGES.keys())
async def test_an_event_met_by_an_outage_is_retried_and_booked_once(exc: BaseException) -> None:
    ledger, bus, store = await deliver(exc, exc, exc)
    assert ledger.booked == [42]
    assert dead_letters(bus) == []
    assert len(store.processed) == 1


async def test_a_lost_race_is_tried_again_then_given_up_to_the_dead_letter_topic() -> None:
    race = RACES["serialization failure"]
    ledger, bus, _ = await deliver(race, race)
    assert ledger.booked == [42] and dead_letters(bus) == []

    ledger, bus, store = await deliver(race, race, race, deliveries=1)
    assert ledger.booked == [] and ledger.tries == 3
    [dead] = dead_letters(bus)
    assert dead.header("dlq.reason") == "retries_exhausted"
    assert dead.header("dlq.consumer") == "bookkeeper"
    assert dead.header("dlq.source_topic") == TOPIC
    assert store.processed == {}


@pytest.mark.parametrize("exc", NEITHER.values(), ids=NEITHER.keys())
async def test_an_event_that_breaks_the_handler_is_dead_lettered_at_once(
    exc: BaseException,
) -> None:
    ledger, bus, store = await deliver(exc)
    assert ledger.tries == 2, "tried once per delivery, never waited on"
    reasons = [m.header("dlq.reason") for m in dead_letters(bus)]
    assert reasons == [reason_of(exc)]
    assert ledger.booked == [42], "the redelivery, without the failure, is booked"
    assert len(store.processed) == 1


async def test_an_operator_sees_each_outage_retry_in_the_logs_and_each_outcome_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = OUTAGES["database refuses connections"]
    with caplog.at_level(logging.WARNING, logger="shared.consumer"):
        await deliver(outage, outage, deliveries=1, metrics=(metrics := Metrics()))
    retries = [r for r in caplog.records if r.getMessage().startswith("database or broker")]
    assert [(r.consumer, r.attempt) for r in retries] == [("bookkeeper", 1), ("bookkeeper", 2)]  # type: ignore[attr-defined]
    assert all(r.error == repr(outage) for r in retries)  # type: ignore[attr-defined]
    handled = ("bookkeeper", "test.deposited", "handled")
    assert sample(metrics, "pledgeflow_events_handled_total", handled) == 1
    assert sample(metrics, "pledgeflow_event_handler_duration_seconds_count", handled[:2]) == 1


async def test_a_batch_booked_together_is_counted_per_event() -> None:
    metrics = Metrics()
    _, consumer, bus = await consumer_for([], metrics)
    envelopes = [deposited(n) for n in (1, 2, 3)]
    await bus.publish([Record(TOPIC, "acc-1", e.to_json()) for e in envelopes])
    await consumer.process_batch(bus.messages(TOPIC))
    labels = ("bookkeeper", "test.deposited")
    assert sample(metrics, "pledgeflow_events_handled_total", (*labels, "handled")) == 3
    assert sample(metrics, "pledgeflow_event_handler_duration_seconds_count", labels) == 3
    assert consumer.handled == 3


def sample(metrics: Metrics, name: str, labels: tuple[str, ...]) -> float:
    for family in metrics.registry.collect():
        for found in family.samples:
            if found.name == name and tuple(found.labels.values()) == labels:
                return found.value
    return 0.0


def test_a_money_moving_write_without_a_key_is_answered_428() -> None:
    assert required_key("retry-0001") == "retry-0001"
    with pytest.raises(Problem) as refused:
        required_key(None)
    assert (refused.value.status, refused.value.code, refused.value.title) == (
        428,
        "idempotency.key_required",
        "This write moves money and needs an Idempotency-Key",
    )
    assert refused.value.detail == (
        "send a key unique to this write; resend the same key when retrying"
    )


def test_the_fingerprint_of_a_keyed_request_stays_the_same_across_releases() -> None:
    # A retry may reach a newer release than the first attempt: the fingerprint stored then
    # must still match, so its form is fixed: sha256 of the request as compact, sorted JSON.
    request = {"requested_amount": "100000.00", "term_months": 12, "collateral": ["a", "b"]}
    dedup = Dedup.of_request("bank-hangzhou", "retry-0001", request)
    canonical = '{"collateral":["a","b"],"requested_amount":"100000.00","term_months":12}'
    assert dedup.fingerprint == hashlib.sha256(canonical.encode()).hexdigest()
    assert (dedup.scope, dedup.key, dedup.claim_first) == (
        "caller:bank-hangzhou",
        "retry-0001",
        False,
    )
    for bad in ("", "k" * 201):
        with pytest.raises(ValueError, match="1 to 200 characters"):
            Dedup.of_request("bank-hangzhou", bad, request)


def test_a_message_is_remembered_once_per_scope_and_key_with_what_it_asked() -> None:
    metadata = MetaData()
    table = processed_messages_table(metadata)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    row = {
        "scope": "caller:bank-hangzhou",
        "key": "retry-0001",
        "fingerprint": "f" * 64,
        "resource_id": None,
        "processed_at": datetime.now(UTC),
    }
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [row, row | {"scope": "consumer:credit"}, row | {"key": "retry-0002"}],
        )
    refused = (
        row,
        row | {"key": "k3", "fingerprint": None},
        row | {"key": "k4", "processed_at": None},
    )
    for wrong in refused:
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(table.insert(), wrong)


async def test_a_relay_gives_its_lease_up_quietly_when_the_database_is_gone() -> None:
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/gone")
    lease = RelayLease(engine, new_metadata().tables["relay_leases"], "test", 5.0)
    await lease.release()  # nothing to give up, nothing raised: the relay goes on retrying
    await engine.dispose()
