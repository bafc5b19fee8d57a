"""Event consumers: each event becomes a command for the message bus, handled once.

The consumer turns a record into a command and hands it to the service's message bus with the
event's id as the deduplication key; the effect and that record commit together, and the
Kafka offsets are committed only afterwards, once per batch. Within a batch, records of one
key are handled in order and different keys side by side; a record of a type the consumer has
no reaction to costs no database round trip. An outage is waited out; an event that can never be
processed goes to the consumer's dead-letter topic with a stable reason.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from shared.bus.base import EventBus, Message, Record
from shared.context import EventContext
from shared.dedup import Dedup
from shared.envelope import Envelope, MalformedEvent
from shared.kernel.errors import DomainError, Invalid
from shared.kernel.messages import Command
from shared.messagebus import MessageBus, WriteConflict
from shared.metrics import Metrics
from shared.retry import Backoff, is_outage
from shared.topics import EVENT_TYPES, dead_letter_topic

log = logging.getLogger(__name__)


@functools.cache
def _adapter(model: Any) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(model)


T = TypeVar("T")

__all__ = [
    "EventConsumer",
    "PermanentError",
    "Reaction",
    "dead_letter_reason",
    "dead_letter_topic",
    "parse_payload",
]


class PermanentError(DomainError):
    """An event that can never be processed; it goes to the dead-letter topic with `reason`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail, code=reason)

    @property
    def reason(self) -> str:
        """The dead-letter reason: the refused rule's code."""
        return self.code


class InvalidPayload(Invalid):
    """The payload does not match the event type's contract."""

    code = "payload.invalid"


@dataclass(frozen=True)
class Reaction:
    """How a consumer reacts to one event type: the command it makes of the event (or None to
    let it pass) and the schema versions it understands (older ones upcast by `to_command`)."""

    to_command: Callable[[Envelope], Command | None]
    versions: frozenset[int] = frozenset({1})
    # The model the payload is read with; a test holds it to the published schema.
    payload: type | None = None


def dead_letter_reason(exc: BaseException) -> tuple[str, str] | None:
    """The consumers' error table: (reason, detail) for an event that can never be processed,
    or None for a failure worth waiting out (the database or broker is unavailable)."""
    if isinstance(exc, WriteConflict):
        return "retries_exhausted", exc.detail
    if isinstance(exc, DomainError):
        return exc.code, exc.detail
    if is_outage(exc):
        return None
    return str(getattr(exc, "code", None) or "handler.failed"), repr(exc)


class EventConsumer:
    """One consumer group: reacts to the event types it knows; a redelivery has no effect."""

    def __init__(
        self,
        name: str,
        bus: EventBus,
        topics: Sequence[str],
        reactions: Mapping[str, Reaction],
        messages: MessageBus[Any],
        *,
        catalogue: Mapping[str, frozenset[str]] = EVENT_TYPES,
        backoff: Backoff | None = None,
        batch_size: int = 200,
        concurrency: int = 8,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self.name = name
        self.topics = tuple(topics)
        self._bus = bus
        self._reactions = dict(reactions)
        self._messages = messages
        self._catalogue = catalogue
        self._backoff = backoff or Backoff()
        self._batch_size = batch_size
        self._concurrency = concurrency
        self.handled = 0
        self.dead_lettered = 0

    async def run(self) -> None:
        """Consume until cancelled: a batch at a time, its offsets committed once it is done."""
        subscription = self._bus.subscribe(self.name, self.topics)
        await subscription.start()
        try:
            while True:
                batch = await subscription.poll(timeout=0.5, max_records=self._batch_size)
                if batch:
                    await self.process_batch(batch)
                    await subscription.commit(batch)
        finally:
            await subscription.stop()

    async def process_batch(self, batch: Sequence[Message]) -> None:
        """Handle a batch: each key's records in order, different keys side by side."""
        by_key: dict[tuple[str, str | None], list[Message]] = {}
        for message in batch:
            by_key.setdefault((message.topic, message.key), []).append(message)
        if len(by_key) == 1:
            for message in batch:
                await self.process(message)
            return
        lanes = asyncio.Semaphore(self._concurrency)

        async def in_order(messages: list[Message]) -> None:
            async with lanes:
                for message in messages:
                    await self.process(message)

        async with asyncio.TaskGroup() as group:
            for messages in by_key.values():
                group.create_task(in_order(messages))

    async def process(self, message: Message) -> None:
        """Handle one record, or dead-letter it; returns only when it is safe to commit."""
        try:
            envelope = Envelope.from_json(message.value)
        except MalformedEvent as exc:
            await self._dead_letter(message, exc.reason, exc.detail)
            return
        known = self._catalogue.get(message.topic)
        if known is not None and envelope.event_type not in known:
            detail = f"{envelope.event_type} is not published on {message.topic}"
            await self._dead_letter(message, "envelope.unknown_type", detail, envelope)
            return
        reaction = self._reactions.get(envelope.event_type)
        if reaction is None:
            self._count(envelope.event_type, "skipped")
            return
        if envelope.schema_version not in reaction.versions:
            detail = (
                f"{envelope.event_type} v{envelope.schema_version}; "
                f"understood: {sorted(reaction.versions)}"
            )
            await self._dead_letter(message, "envelope.unsupported_version", detail, envelope)
            return
        await self._handle(message, envelope, reaction)

    async def _handle(self, message: Message, envelope: Envelope, reaction: Reaction) -> None:
        started = time.perf_counter()
        outcome = await self._attempts(message, envelope, reaction)
        self._count(envelope.event_type, outcome)
        if self._metrics is not None:
            self._metrics.handler_duration.labels(self.name, envelope.event_type).observe(
                time.perf_counter() - started
            )

    def _count(self, event_type: str, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.events_handled.labels(self.name, event_type, outcome).inc()

    async def _attempts(self, message: Message, envelope: Envelope, reaction: Reaction) -> str:
        attempt = 0
        while True:
            attempt += 1
            try:
                command = reaction.to_command(envelope)
                if command is None:
                    return "skipped"
                handled = await self._messages.handle(
                    command,
                    dedup=Dedup.of_event(self.name, envelope.event_id, envelope.event_type),
                    context=EventContext(envelope.correlation_id, envelope.event_id),
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                refusal = dead_letter_reason(exc)
                if refusal is not None:
                    await self._dead_letter(message, *refusal, envelope)
                    return "dead_lettered"
                delay = self._backoff.delay(attempt)
                log.warning(
                    "database or broker unavailable; trying the event again",
                    extra={"consumer": self.name, "attempt": attempt, "error": repr(exc)},
                )
                await asyncio.sleep(delay)
                continue
            if handled.replayed:
                return "duplicate"
            self.handled += 1
            return "handled"

    async def _dead_letter(
        self, message: Message, reason: str, detail: str, envelope: Envelope | None = None
    ) -> None:
        headers = (
            *message.headers,
            ("dlq.reason", reason.encode()),
            ("dlq.detail", detail[:2000].encode()),
            ("dlq.consumer", self.name.encode()),
            ("dlq.source_topic", message.topic.encode()),
            ("dlq.source_partition", str(message.partition).encode()),
            ("dlq.source_offset", str(message.offset).encode()),
            ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
        )
        record = Record(
            topic=dead_letter_topic(self.name),
            key=message.key or (envelope.aggregate_id if envelope else "unknown"),
            value=message.value,
            headers=headers,
        )
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._bus.publish([record])
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dead-letter publish failed; retrying")
                await asyncio.sleep(self._backoff.delay(attempt))
        self.dead_lettered += 1
        if self._metrics is not None:
            self._metrics.dead_letters.labels(self.name, reason).inc()
        log.error(
            "event dead-lettered",
            extra={"consumer": self.name, "reason": reason, "detail": detail[:500]},
        )


def parse_payload(model: type[T], envelope: Envelope) -> T:
    """Validate an event payload against a pydantic model, or reject the event permanently."""
    from pydantic import ValidationError

    try:
        return cast(T, _adapter(cast(Any, model)).validate_python(envelope.payload))
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidPayload(f"{envelope.event_type}: {errors}") from exc
