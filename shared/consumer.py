"""Event consumers: each event becomes a command for the message bus, handled once.

The consumer turns a record into a command and hands it to the service's message bus with the
event's id as the deduplication key; the effect and that record commit together, and the
Kafka offsets are committed only afterwards, once per batch. A batch's commands run in order
in one transaction; if any of them fails or is refused, that transaction is rolled back and
the records are handled one by one instead: each key's in order, different keys side by side.
A record of a type the consumer has no reaction to costs no database round trip. An outage is
waited out; an event that can never be processed goes to the consumer's dead-letter topic with
a stable reason.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from opentelemetry import trace
from opentelemetry.trace import Span

from shared.bus.base import EventBus, Message, Record, Subscription
from shared.context import EventContext
from shared.dedup import Dedup
from shared.envelope import Envelope, MalformedEvent
from shared.kernel.errors import DomainError, Invalid
from shared.kernel.messages import Command
from shared.messagebus import Delivered, MessageBus, WriteConflict
from shared.metrics import Metrics
from shared.retry import Backoff, is_outage
from shared.topics import EVENT_TYPES, dead_letter_topic
from shared.tracing import TRACEPARENT, Tracing, span_traceparent, valid_traceparent

log = logging.getLogger(__name__)


@functools.cache
def _adapter(model: Any) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(model)


T = TypeVar("T")

__all__ = [
    "ConsumerSpec",
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


@dataclass(frozen=True)
class ConsumerSpec:
    """A consumer group: the topics it reads and its reaction to each event type it handles."""

    name: str
    topics: tuple[str, ...]
    reactions: Mapping[str, Reaction]


@dataclass(frozen=True)
class _Prepared:
    """A record read and checked, with the command it makes (None when making it failed)."""

    message: Message
    envelope: Envelope
    reaction: Reaction
    command: Command | None
    dedup: Dedup
    context: EventContext


def _traceparent(message: Message) -> str | None:
    """The record's W3C trace context, if it carries a well-formed one; anything else in that
    header is ignored (never stored, never passed on)."""
    try:
        return valid_traceparent(message.header(TRACEPARENT))
    except UnicodeDecodeError:
        return None


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
        together: int = 50,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self._metrics = metrics
        self._tracing = tracing or Tracing(name)
        self.name = name
        self.topics = tuple(topics)
        self._bus = bus
        self._reactions = dict(reactions)
        self._messages = messages
        self._catalogue = catalogue
        self._backoff = backoff or Backoff()
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._together = together
        self.handled = 0
        self.dead_lettered = 0
        self._subscription: Subscription | None = None
        self._unassigned_since: float | None = time.monotonic()

    def lag(self) -> dict[tuple[str, int], int]:
        """Records not yet handled, per (topic, partition) this member reads."""
        if self._subscription is None:
            return {}
        try:
            return self._subscription.lag()
        except Exception:
            log.debug("consumer lag unavailable", exc_info=True)
            return {}

    def unassigned_for(self) -> float:
        """Seconds this consumer has had no partition to read (0 while it has some)."""
        if self._unassigned_since is None:
            return 0.0
        return time.monotonic() - self._unassigned_since

    async def run(self) -> None:
        """Consume until cancelled: a batch at a time, its offsets committed once it is done."""
        subscription = self._bus.subscribe(self.name, self.topics)
        await subscription.start()
        self._subscription = subscription
        try:
            while True:
                batch = await subscription.poll(timeout=0.5, max_records=self._batch_size)
                if subscription.assigned():
                    self._unassigned_since = None
                elif self._unassigned_since is None:
                    self._unassigned_since = time.monotonic()
                if batch:
                    await self.process_batch(batch)
                    await subscription.commit(batch)
        finally:
            self._subscription = None
            await subscription.stop()

    async def process_batch(self, batch: Sequence[Message]) -> None:
        """Handle a batch: its commands in one transaction when none of them fails, else each
        key's records in order and different keys side by side."""
        ready = [prepared for message in batch if (prepared := await self._prepare(message))]
        together = [p for p in ready if p.command is not None]
        if len(together) > 1 and len(together) == len(ready):
            for start in range(0, len(together), self._together):
                chunk = together[start : start + self._together]
                if not await self._handle_together(chunk):
                    await self._apart(chunk)
            return
        await self._apart(ready)

    async def _apart(self, ready: Sequence[_Prepared]) -> None:
        by_key: dict[tuple[str, str | None], list[_Prepared]] = {}
        for prepared in ready:
            message = prepared.message
            by_key.setdefault((message.topic, message.key), []).append(prepared)
        lanes = asyncio.Semaphore(self._concurrency)

        async def in_order(lane: list[_Prepared]) -> None:
            async with lanes:
                for prepared in lane:
                    await self._handle(prepared)

        async with asyncio.TaskGroup() as group:
            for lane in by_key.values():
                group.create_task(in_order(lane))

    async def _handle_together(self, chunk: Sequence[_Prepared]) -> bool:
        started = time.perf_counter()
        traced = [self._consuming(p) for p in chunk]
        spans = [span for span, _ in traced if span is not None]
        try:
            with self._tracing.batch_span(
                "handle batch", spans, {"pledgeflow.consumer": self.name, "batch": len(chunk)}
            ):
                handled = await self._messages.handle_together(
                    [
                        Delivered(p.command, p.dedup, p.context)
                        for _, p in traced
                        if p.command is not None
                    ]
                )
        finally:
            for span in spans:
                span.end()
        if handled is None:
            return False
        share = (time.perf_counter() - started) / len(chunk)
        for prepared, result in zip(chunk, handled, strict=True):
            event_type = prepared.envelope.event_type
            self._count(event_type, "duplicate" if result.replayed else "handled")
            if not result.replayed:
                self.handled += 1
            if self._metrics is not None:
                self._metrics.handler_duration.labels(self.name, event_type).observe(share)
        return True

    async def process(self, message: Message) -> None:
        """Handle one record, or dead-letter it; returns only when it is safe to commit."""
        prepared = await self._prepare(message)
        if prepared is not None:
            await self._handle(prepared)

    async def _prepare(self, message: Message) -> _Prepared | None:
        """The record read and checked, or None when it is dead-lettered or let pass."""
        try:
            envelope = Envelope.from_json(message.value)
        except MalformedEvent as exc:
            await self._dead_letter(message, exc.reason, exc.detail)
            return None
        known = self._catalogue.get(message.topic)
        if known is not None and envelope.event_type not in known:
            detail = f"{envelope.event_type} is not published on {message.topic}"
            await self._dead_letter(message, "envelope.unknown_type", detail, envelope)
            return None
        reaction = self._reactions.get(envelope.event_type)
        if reaction is None:
            self._count(envelope.event_type, "skipped")
            return None
        if envelope.schema_version not in reaction.versions:
            detail = (
                f"{envelope.event_type} v{envelope.schema_version}; "
                f"understood: {sorted(reaction.versions)}"
            )
            await self._dead_letter(message, "envelope.unsupported_version", detail, envelope)
            return None
        try:
            command = reaction.to_command(envelope)
        except Exception:
            command = None  # handled on its own, where the refusal is dead-lettered
        else:
            if command is None:
                self._count(envelope.event_type, "skipped")
                return None
        return _Prepared(
            message,
            envelope,
            reaction,
            command,
            Dedup.of_event(self.name, envelope.event_id, envelope.event_type),
            EventContext(
                envelope.correlation_id,
                envelope.event_id,
                _traceparent(message),
            ),
        )

    async def _handle(self, prepared: _Prepared) -> None:
        started = time.perf_counter()
        span, prepared = self._consuming(prepared)
        if span is None:
            outcome = await self._attempts(prepared)
        else:
            with trace.use_span(span, end_on_exit=True):
                outcome = await self._attempts(prepared)
                span.set_attribute("pledgeflow.outcome", outcome)
        event_type = prepared.envelope.event_type
        self._count(event_type, outcome)
        if self._metrics is not None:
            self._metrics.handler_duration.labels(self.name, event_type).observe(
                time.perf_counter() - started
            )

    def _consuming(self, prepared: _Prepared) -> tuple[Span | None, _Prepared]:
        """A consumer span for the record, continuing the trace it carries, and the record
        with that span as the context of the events its handling makes (when tracing is on)."""
        if not self._tracing.enabled:
            return None, prepared
        message, envelope = prepared.message, prepared.envelope
        span = self._tracing.consuming(
            f"consume {envelope.event_type}",
            prepared.context.traceparent,
            {
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": message.topic,
                "messaging.consumer.group.name": self.name,
                "messaging.destination.partition.id": str(message.partition),
                "messaging.kafka.offset": message.offset,
                "messaging.message.id": envelope.event_id,
                "pledgeflow.event_type": envelope.event_type,
                "pledgeflow.correlation_id": envelope.correlation_id,
            },
        )
        context = replace(prepared.context, traceparent=span_traceparent(span))
        return span, replace(prepared, context=context)

    def _count(self, event_type: str, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.events_handled.labels(self.name, event_type, outcome).inc()

    async def _attempts(self, prepared: _Prepared) -> str:
        message, envelope = prepared.message, prepared.envelope
        attempt = 0
        while True:
            attempt += 1
            try:
                command = prepared.command or prepared.reaction.to_command(envelope)
                if command is None:
                    return "skipped"
                handled = await self._messages.handle(
                    command, dedup=prepared.dedup, context=prepared.context
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
