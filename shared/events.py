"""Base types for domain events: plain dataclasses the domain records and the outbox ships."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class DomainEvent:
    """A fact that happened. Subclasses set `event_type`, `schema_version` and `topic`."""

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]


@dataclass
class Aggregate:
    """An entity that guards its invariants and records the events of its changes."""

    version: int = field(default=0, kw_only=True)
    pending_events: list[DomainEvent] = field(default_factory=list, kw_only=True, repr=False)

    @property
    def aggregate_id(self) -> str:
        """The key of this aggregate's events."""
        raise NotImplementedError

    @property
    def case_id(self) -> str | None:
        """The correlation id all this aggregate's events carry, whoever acts on it; None
        leaves it to the work in progress."""
        return None

    def record(self, event: DomainEvent) -> None:
        """Append an event and bump the version it will carry."""
        self.version += 1
        self.pending_events.append(event)

    def collect_events(self) -> list[tuple[int, DomainEvent]]:
        """Hand over recorded events with the aggregate version each produced."""
        first = self.version - len(self.pending_events) + 1
        events = list(enumerate(self.pending_events, start=first))
        self.pending_events.clear()
        return events
