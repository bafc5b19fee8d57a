"""Idempotent consumer: effect and inbox record commit together; the offset commits afterwards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from shared.bus.base import EventBus, Message, Record
from shared.context import EventContext, reset_context, set_context
from shared.envelope import Envelope, MalformedEvent
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")

Handler = Callable[[Envelope, UnitOfWork], Awaitable[None]]


class PermanentError(Exception):
    """An event that can never be processed; it goes to the dead-letter topic with `reason`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def dead_letter_topic(consumer: str) -> str:
    """The dead-letter topic of one consumer group."""
    return f"pledgeflow.dlq.{consumer}"


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for transient failures; conflicts get `max_attempts`, outages retry forever."""

    max_attempts: int = 5
    first_delay: float = 0.05
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff for the given 1-based attempt."""
        return min(self.first_delay * 2 ** (attempt - 1), self.max_delay)


def is_outage(exc: BaseException) -> bool:
    """The database or network is unavailable: nothing can be processed until it returns."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError)


def is_conflict(exc: BaseException) -> bool:
    """A concurrent writer won a race; a fresh attempt reads the new state."""
    return isinstance(exc, IntegrityError | StaleDataError)


class EventConsumer:
    """Runs handlers for the event types it knows; a redelivered event has no second effect."""

    def __init__(
        self,
        name: str,
        bus: EventBus,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        unit_of_work: Callable[[], UnitOfWork],
        retry: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.topics = tuple(topics)
        self._bus = bus
        self._handlers = dict(handlers)
        self._unit_of_work = unit_of_work
        self._retry = retry or RetryPolicy()
        self.handled = 0
        self.dead_lettered = 0

    async def run(self) -> None:
        """Consume until cancelled."""
        subscription = self._bus.subscribe(self.name, self.topics)
        await subscription.start()
        try:
            while True:
                for message in await subscription.poll(timeout=0.5):
                    await self.process(message)
                    await subscription.commit(message)
        finally:
            await subscription.stop()

    async def process(self, message: Message) -> None:
        """Handle one record, or dead-letter it; returns only when it is safe to commit."""
        try:
            envelope = Envelope.from_json(message.value)
        except MalformedEvent as exc:
            await self._dead_letter(message, exc.reason, exc.detail)
            return
        handler = self._handlers.get(envelope.event_type)
        if handler is None:
            return
        token = set_context(EventContext(envelope.correlation_id, envelope.event_id))
        try:
            await self._handle_with_retries(message, envelope, handler)
        finally:
            reset_context(token)

    async def _handle_with_retries(
        self, message: Message, envelope: Envelope, handler: Handler
    ) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._handle_once(envelope, handler)
                return
            except PermanentError as exc:
                await self._dead_letter(message, exc.reason, exc.detail, envelope)
                return
            except Exception as exc:
                if is_outage(exc) or (is_conflict(exc) and attempt < self._retry.max_attempts):
                    log.warning(
                        "transient failure, retrying",
                        extra={"consumer": self.name, "attempt": attempt, "error": repr(exc)},
                    )
                    await asyncio.sleep(self._retry.delay(attempt))
                    continue
                reason = (
                    "retries_exhausted"
                    if is_conflict(exc)
                    else str(getattr(exc, "code", None) or "handler.rejected")
                )
                await self._dead_letter(message, reason, repr(exc), envelope)
                return

    async def _handle_once(self, envelope: Envelope, handler: Handler) -> None:
        async with self._unit_of_work() as uow:
            if not await uow.claim(self.name, envelope):
                log.info("duplicate event skipped", extra={"event_id": envelope.event_id})
                return
            await handler(envelope, uow)
            await uow.commit()
        self.handled += 1

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
        backoff = self._retry.first_delay
        while True:
            try:
                await self._bus.publish([record])
                break
            except Exception:
                log.exception("dead-letter publish failed; retrying")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._retry.max_delay)
        self.dead_lettered += 1
        log.error(
            "event dead-lettered",
            extra={"consumer": self.name, "reason": reason, "detail": detail[:500]},
        )


def parse_payload(model: type[T], envelope: Envelope) -> T:
    """Validate an event payload against a pydantic model, or reject the event permanently."""
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(model).validate_python(envelope.payload)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise PermanentError("payload.invalid", f"{envelope.event_type}: {errors}") from exc
