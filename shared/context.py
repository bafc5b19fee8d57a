"""The causal context of the work in progress: which flow it belongs to and what caused it."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class EventContext:
    """Correlation id follows a whole case; causation id names the event that caused this one."""

    correlation_id: str
    causation_id: str | None = None
    # The W3C traceparent of the work (an event's consumer span), when it is traced.
    traceparent: str | None = None

    @classmethod
    def new(cls) -> EventContext:
        """A context that starts a new flow."""
        return cls(correlation_id=str(uuid.uuid4()))


_current: ContextVar[EventContext | None] = ContextVar("pledgeflow_event_context", default=None)


def current_context() -> EventContext:
    """The context in force, or a fresh one."""
    return _current.get() or EventContext.new()


def set_context(context: EventContext) -> object:
    """Install a context; returns a token for `reset_context`."""
    return _current.set(context)


def reset_context(token: object) -> None:
    """Restore the context that was in force before `set_context`."""
    _current.reset(token)  # type: ignore[arg-type]


def current_event_traceparent() -> str | None:
    """The traceparent of the work in progress, when it came with one (for logs)."""
    context = _current.get()
    return context.traceparent if context else None


def current_correlation_id() -> str | None:
    """The correlation id in force, if any (for logs)."""
    context = _current.get()
    return context.correlation_id if context else None
