"""Protocol shared by the Kafka bus and the in-memory bus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Record:
    """An outgoing record: the key decides the partition, so one key's records stay in order."""

    topic: str
    key: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = field(default_factory=tuple)


def next_offsets(messages: Sequence[Message]) -> dict[tuple[str, int], int]:
    """The offset to commit per (topic, partition): one past the highest of `messages`."""
    found: dict[tuple[str, int], int] = {}
    for message in messages:
        where = (message.topic, message.partition)
        found[where] = max(found.get(where, 0), message.offset + 1)
    return found


@dataclass(frozen=True)
class Message:
    """A consumed record with its position in the log."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = field(default_factory=tuple)

    def header(self, name: str) -> str | None:
        """The first header of that name, decoded."""
        for key, value in self.headers:
            if key == name:
                return value.decode()
        return None


class Subscription(Protocol):
    """One consumer-group member; offsets advance only on `commit`."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def poll(self, timeout: float, max_records: int = 100) -> list[Message]:
        """Next records, in log order per partition; empty when nothing came within `timeout`."""
        ...

    def assigned(self) -> bool:
        """Whether this member has at least one partition to read."""
        ...

    async def commit(self, messages: Sequence[Message]) -> None:
        """Mark these messages, and everything before each in its partition, as processed.

        One request for the whole batch: the highest offset of each partition is committed.
        """
        ...

    def lag(self) -> dict[tuple[str, int], int]:
        """Records on each partition this member holds that are not yet processed (as far as
        this member knows; a partition it has not fetched from yet is left out)."""
        ...


class EventBus(Protocol):
    """Where records are published and from which subscriptions are made."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, records: Sequence[Record]) -> None:
        """Publish and wait until every record is acknowledged, preserving order per key."""
        ...

    def subscribe(self, group: str, topics: Sequence[str]) -> Subscription:
        """A member of consumer group `group` on `topics`, starting at the committed offsets."""
        ...
