"""The one place where a message becomes a transaction.

Every way into a service (an HTTP route, an event consumer, a timer, an operator command)
builds a command or a query and hands it to the service's `MessageBus`. Only the bus opens a
unit of work. For a command it checks the deduplication key, runs the handler, retries a write
conflict a bounded number of times, and commits the state change, the events of every
aggregate the repositories saw, and the deduplication record together. Handlers never commit.
A query runs in a unit of work that is rolled back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from opentelemetry.trace import NoOpTracer, Tracer

from shared.context import EventContext, reset_context, set_context
from shared.dedup import Dedup, Earlier
from shared.kernel.errors import Conflict, DomainError, Invalid
from shared.kernel.events import Aggregate
from shared.kernel.messages import Command, Query
from shared.retry import is_conflict, is_dropped_connection

log = logging.getLogger(__name__)

R = TypeVar("R")
U = TypeVar("U", bound="UnitOfWork")


class UnitOfWork(Protocol):
    """One transaction: what the bus needs of every service's unit of work, real or fake."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def seen_before(self, dedup: Dedup) -> Earlier | None:
        """The earlier handling of this message, if any; claims the key when it is new."""
        ...

    async def remember(self, dedup: Dedup, resource_id: str | None) -> None:
        """Record the handling of a message, with what it made, in this transaction."""
        ...

    def stage_events(self) -> None:
        """Take the new events of the aggregates seen so far, under the current context."""
        ...

    async def commit(self) -> None:
        """Ship the events staged and those of the aggregates seen, and commit everything."""
        ...


@dataclass(frozen=True)
class On(Generic[R]):
    """How a command is handled, and how a retried request is answered from what it made."""

    handler: Callable[[Any, Any], Awaitable[R]]
    replay: Callable[[Any, str, Any], Awaitable[R]] | None = None


@dataclass(frozen=True)
class Handled(Generic[R]):
    """What handling a command gave; `replayed` when the message had been handled before."""

    result: R
    replayed: bool = False


class DuplicateInFlight(Conflict):
    """The same request is being handled concurrently; its result is not known yet."""

    code = "idempotency.conflict"
    title = "A request with this Idempotency-Key was processed concurrently"


class KeyReused(Invalid):
    """An idempotency key already used for a different request."""

    code = "idempotency.key_reused"
    title = "This Idempotency-Key was used for a different request"


class WriteConflict(Conflict):
    """Concurrent writers kept winning; the command was given up after its retries."""

    code = "write.conflict"
    title = "Changed concurrently; try again"


@dataclass(frozen=True)
class Delivered:
    """A command made of a delivered event, with its deduplication key and context."""

    command: Command
    dedup: Dedup
    context: EventContext


class MessageBus(Generic[U]):
    """Runs commands and queries of one service, each in its own unit of work."""

    def __init__(
        self,
        unit_of_work: Callable[[], U],
        commands: Mapping[type[Command], On[Any]],
        queries: Mapping[type[Query], Callable[[Any, Any], Awaitable[Any]]] | None = None,
        *,
        conflict_attempts: int = 4,
        first_delay: float = 0.02,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._commands = dict(commands)
        self._queries = dict(queries or {})
        self._attempts = conflict_attempts
        self._first_delay = first_delay
        # The service's tracer (see shared.tracing); a no-op one unless tracing is on.
        self.tracer: Tracer = NoOpTracer()

    def add(self, command: type[Command], on: On[Any]) -> None:
        """Handle one more command (infrastructure every service shares, added by the runtime)."""
        self._commands[command] = on

    def handles(self, message_type: type) -> bool:
        """Whether a handler is registered for this type of command or query."""
        return message_type in self._commands or message_type in self._queries

    async def handle(
        self,
        command: Command,
        *,
        dedup: Dedup | None = None,
        context: EventContext | None = None,
    ) -> Handled[Any]:
        """Run `command` once: in one transaction, retried on a write conflict."""
        on = self._commands.get(type(command))
        if on is None:
            raise LookupError(f"no handler for {type(command).__name__}")
        token = set_context(context) if context is not None else None
        try:
            with self.tracer.start_as_current_span(f"handle {type(command).__name__}"):
                return await self._with_retries(command, on, dedup)
        finally:
            if token is not None:
                reset_context(token)

    async def handle_together(self, batch: Sequence[Delivered]) -> list[Handled[Any]] | None:
        """Run delivered events' commands in order in one unit of work, committed once.

        Each command keeps its own deduplication key and context. If any of them fails or is
        refused, nothing of the batch is kept and None is returned: the caller then hands each
        command to `handle` on its own, where refusals, conflicts and outages are dealt with.
        """
        handled: list[Handled[Any]] = []
        async with self._unit_of_work() as uow:
            for delivered in batch:
                on = self._commands.get(type(delivered.command))
                if on is None or not delivered.dedup.claim_first:
                    return None
                token = set_context(delivered.context)
                try:
                    if await uow.seen_before(delivered.dedup) is not None:
                        handled.append(Handled(None, replayed=True))
                        continue
                    handled.append(Handled(await on.handler(delivered.command, uow)))
                    uow.stage_events()
                except Exception as exc:
                    log.debug(
                        "batch given up; its commands are handled one by one",
                        extra={"command": type(delivered.command).__name__, "error": repr(exc)},
                    )
                    return None
                finally:
                    reset_context(token)
            try:
                await uow.commit()
            except Exception as exc:
                log.debug("batch commit failed", extra={"error": repr(exc)})
                return None
        return handled

    async def query(self, query: Query) -> Any:
        """Answer `query` from a unit of work that changes nothing."""
        handler = self._queries.get(type(query))
        if handler is None:
            raise LookupError(f"no handler for {type(query).__name__}")
        async with self._unit_of_work() as uow:
            return await handler(query, uow)

    async def _with_retries(
        self, command: Command, on: On[Any], dedup: Dedup | None
    ) -> Handled[Any]:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._once(command, on, dedup)
            except Exception as exc:
                if is_dropped_connection(exc) and attempt < self._attempts:
                    continue
                if not is_conflict(exc):
                    raise
                if dedup is not None and not dedup.claim_first:
                    await self._refuse_duplicate_in_flight(dedup)
                if attempt >= self._attempts:
                    raise WriteConflict(f"{type(command).__name__}: {exc!r}"[:500]) from exc
                log.info(
                    "write conflict, trying again",
                    extra={"command": type(command).__name__, "attempt": attempt},
                )
                await asyncio.sleep(self._first_delay * 2 ** (attempt - 1))

    async def _once(self, command: Command, on: On[Any], dedup: Dedup | None) -> Handled[Any]:
        async with self._unit_of_work() as uow:
            if dedup is not None:
                earlier = await uow.seen_before(dedup)
                if earlier is not None:
                    return await self._replay(command, on, dedup, earlier, uow)
            try:
                result = await on.handler(command, uow)
            except DomainError as refusal:
                if refusal.keep_changes:
                    await uow.commit()
                raise
            if dedup is not None and not dedup.claim_first:
                await uow.remember(dedup, resource_id(result))
            await uow.commit()
            return Handled(result)

    async def _replay(
        self, command: Command, on: On[Any], dedup: Dedup, earlier: Earlier, uow: U
    ) -> Handled[Any]:
        if dedup.claim_first:
            log.info("duplicate message skipped", extra={"key": dedup.key})
            return Handled(None, replayed=True)
        if earlier.fingerprint != dedup.fingerprint:
            raise KeyReused("the earlier request with this key asked for something else")
        if on.replay is None or earlier.resource_id is None:
            return Handled(None, replayed=True)
        return Handled(await on.replay(command, earlier.resource_id, uow), replayed=True)

    async def _refuse_duplicate_in_flight(self, dedup: Dedup) -> None:
        async with self._unit_of_work() as uow:
            if await uow.seen_before(dedup) is not None:
                raise DuplicateInFlight("retry to receive its result")


def resource_id(result: object) -> str | None:
    """The identifier of what a command made or changed, stored to answer its retries."""
    if result is None:
        return None
    if isinstance(result, str):
        return result
    if isinstance(result, Aggregate):
        return result.aggregate_id
    made = getattr(result, "resource_id", None)
    if isinstance(made, str):
        return made
    raise TypeError(f"cannot tell the resource a {type(result).__name__} names")
