"""After a failed publish the outbox relay has the topics checked before it publishes again, so
its records land in topics made with their settings, not ones the broker makes on the fly."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData

from shared.broker_watch import BrokerWatch
from shared.bus.base import Record
from shared.bus.kafka import TopicCheck
from shared.bus.memory import InMemoryBus
from shared.db import create_engine, session_factory
from shared.envelope import Envelope
from shared.outbox import OutboxRelay, add_to_outbox
from shared.tables import outbox_table, relay_leases_table
from shared.topics import CREDIT_LOANS


class LosesItsTopics(InMemoryBus):
    """A broker that refuses the first publish (it is restarting) and forgot its topics."""

    def __init__(self) -> None:
        super().__init__()
        self.topics: set[str] = {CREDIT_LOANS}
        self.refusals = 1
        self.published_into_missing: list[str] = []

    async def publish(self, records: Sequence[Record]) -> None:
        if self.refusals:
            self.refusals -= 1
            self.topics.clear()
            raise ConnectionError("broker restarting")
        self.published_into_missing += [r.topic for r in records if r.topic not in self.topics]
        await super().publish(records)

    async def check(self, topics: Sequence[str]) -> TopicCheck:
        missing = tuple(t for t in topics if t not in self.topics)
        self.topics.update(missing)
        return TopicCheck(created=missing)


async def test_the_relay_has_lost_topics_recreated_before_publishing_again(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'relay.db'}")
    metadata = MetaData()
    outbox = outbox_table(metadata)
    relay_leases_table(metadata)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        envelope = Envelope(
            event_type="credit.loan.repaid",
            schema_version=1,
            aggregate_id="loan-1",
            aggregate_version=1,
            producer="credit",
            payload={"loan_id": "loan-1", "at": datetime.now(UTC).isoformat()},
            correlation_id="case-1",
        )
        await add_to_outbox(session, outbox, [(CREDIT_LOANS, envelope, None)])
    bus = LosesItsTopics()
    watch = BrokerWatch(bus.check, [CREDIT_LOANS], interval=60)
    await watch.check()
    relay = OutboxRelay(
        sessions,
        outbox,
        bus,
        name="credit",
        poll_interval=0.01,
        before_publish=watch.before_publish,
        on_failure=watch.suspect,
    )
    task = asyncio.create_task(relay.run())
    try:
        for _ in range(300):
            if bus.messages(CREDIT_LOANS):
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()
    assert len(bus.messages(CREDIT_LOANS)) == 1
    assert bus.published_into_missing == []
    assert watch.recreated == 1
