"""The console reads the topics like any outside subscriber, with consumer groups of its own.

- `console.events`: every event of the loans, valuations, pledges and rights topics, kept on
  its case's timeline and in the read models of the pages;
- `console.calendar`: the official calendar, to count working time left;
- `console.dead_letters`: the dead-letter topic of every consumer group, kept as they came
  (a dead letter need not be an envelope at all).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from services.console.service_layer import commands as c
from shared.bus.base import EventBus, Message
from shared.calendars import StoredSchedule
from shared.consumer import EventConsumer, PermanentError, Reaction, parse_payload
from shared.dedup import Dedup
from shared.envelope import Envelope
from shared.ledger_heads import ledger_consumer
from shared.messagebus import MessageBus
from shared.metrics import Metrics
from shared.retry import Backoff, is_outage
from shared.runtime import ConsumerSpec
from shared.topics import (
    CREDIT_LOANS,
    EVENT_TYPES,
    REGISTRY_CALENDAR,
    REGISTRY_PLEDGES,
    REGISTRY_RIGHTS,
    VALUATIONS,
    dead_letter_topic,
)
from shared.workdays import Notice, YearSchedule

log = logging.getLogger(__name__)

CASE_TOPICS = (CREDIT_LOANS, VALUATIONS, REGISTRY_PLEDGES, REGISTRY_RIGHTS)
DEAD_LETTERS = "console.dead_letters"


def record_event(envelope: Envelope) -> c.RecordEvent:
    """Any event of a case: kept as it is."""
    topic = next(t for t in CASE_TOPICS if envelope.event_type in EVENT_TYPES[t])
    return c.RecordEvent(
        topic=topic,
        event_id=envelope.event_id,
        event_type=envelope.event_type,
        producer=envelope.producer,
        aggregate_id=envelope.aggregate_id,
        aggregate_version=envelope.aggregate_version,
        occurred_at=envelope.occurred_at,
        correlation_id=envelope.correlation_id,
        payload=dict(envelope.payload),
    )


class _YearPublished(BaseModel):
    year: int
    version: int
    holidays: list[date]
    makeup_workdays: list[date]
    notice_reference: str
    notice_published_on: date
    entered_by: str
    entered_at: datetime


def year_published(envelope: Envelope) -> c.ReceiveSchedule:
    """A year's official schedule, to count working days on."""
    body = parse_payload(_YearPublished, envelope)
    schedule = YearSchedule(
        body.year,
        frozenset(body.holidays),
        frozenset(body.makeup_workdays),
        body.version,
        Notice(body.notice_reference, body.notice_published_on),
    )
    problems = schedule.problems()
    if body.version < 1 or problems:
        raise PermanentError("calendar.schedule_invalid", "; ".join(problems) or "version < 1")
    return c.ReceiveSchedule(StoredSchedule(schedule, body.entered_by, body.entered_at))


CONSOLE_CONSUMERS = (
    ConsumerSpec(
        name="console.events",
        topics=CASE_TOPICS,
        reactions={
            event_type: Reaction(record_event, payload=dict[str, Any])
            for topic in CASE_TOPICS
            for event_type in sorted(EVENT_TYPES[topic])
        },
    ),
    ConsumerSpec(
        name="console.calendar",
        topics=(REGISTRY_CALENDAR,),
        reactions={
            "registry.calendar.year_published": Reaction(year_published, payload=_YearPublished)
        },
    ),
    ledger_consumer("console"),
)


def dead_letter_topics(groups: Sequence[str]) -> tuple[str, ...]:
    return tuple(dead_letter_topic(group) for group in groups)


class DeadLetterWatch(EventConsumer):
    """Keeps every record of the dead-letter topics, whatever it holds; offsets are committed
    once the record is stored."""

    def __init__(
        self,
        bus: EventBus,
        groups: Sequence[str],
        messages: MessageBus[Any],
        metrics: Metrics | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(
            DEAD_LETTERS, bus, dead_letter_topics(groups), {}, messages, metrics=metrics
        )
        self._wait = backoff or Backoff()

    async def process_batch(self, batch: Sequence[Message]) -> None:
        """Store a batch of dead letters, in order."""
        for message in batch:
            await self.process(message)

    async def process(self, message: Message) -> None:
        """Store one dead letter; an unavailable database is waited out."""
        command = c.RecordDeadLetter(
            message.topic,
            message.partition,
            message.offset,
            message.key,
            message.value,
            tuple(message.headers),
        )
        key = f"{message.topic}:{message.partition}:{message.offset}"
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._messages.handle(
                    command, dedup=Dedup.of_event(self.name, key, "dead_letter")
                )
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_outage(exc):
                    log.exception("dead letter not kept", extra={"record": key})
                    return
                await asyncio.sleep(self._wait.delay(attempt))
