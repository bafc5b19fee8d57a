"""In-memory bus with Kafka's semantics (partitions by key, group offsets), for fast tests."""

from __future__ import annotations

import asyncio
import zlib
from collections import defaultdict
from collections.abc import Sequence

from shared.bus.base import Message, Record, next_offsets


class InMemoryBus:
    """A process-local log. Groups see every record; uncommitted records are redelivered."""

    def __init__(self, partitions: int = 3) -> None:
        self.partitions = partitions
        self._logs: dict[str, list[list[Message]]] = {}
        self._committed: dict[tuple[str, str, int], int] = defaultdict(int)
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def _log(self, topic: str) -> list[list[Message]]:
        return self._logs.setdefault(topic, [[] for _ in range(self.partitions)])

    def partition_for(self, key: str) -> int:
        """Stable partition of a key."""
        return zlib.crc32(key.encode()) % self.partitions

    async def publish(self, records: Sequence[Record]) -> None:
        """Append records to their partitions."""
        for record in records:
            partition = self._log(record.topic)[self.partition_for(record.key)]
            partition.append(
                Message(
                    topic=record.topic,
                    partition=self.partition_for(record.key),
                    offset=len(partition),
                    key=record.key,
                    value=record.value,
                    headers=record.headers,
                )
            )
        async with self._changed:
            self._changed.notify_all()

    def messages(self, topic: str) -> list[Message]:
        """Every record of a topic, partition by partition (for assertions)."""
        return [m for partition in self._log(topic) for m in partition]

    def subscribe(self, group: str, topics: Sequence[str]) -> InMemorySubscription:
        return InMemorySubscription(self, group, tuple(topics))


class InMemorySubscription:
    """One group member that owns every partition of its topics."""

    def __init__(self, bus: InMemoryBus, group: str, topics: tuple[str, ...]) -> None:
        self._bus = bus
        self._group = group
        self._topics = topics
        self._positions: dict[tuple[str, int], int] = {}

    async def start(self) -> None:
        self._positions = {
            (topic, p): self._bus._committed[(self._group, topic, p)]
            for topic in self._topics
            for p in range(self._bus.partitions)
        }

    async def stop(self) -> None:
        self._positions = {}

    def _take(self, max_records: int) -> list[Message]:
        taken: list[Message] = []
        for (topic, p), position in self._positions.items():
            log = self._bus._log(topic)[p]
            batch = log[position : position + max_records - len(taken)]
            self._positions[(topic, p)] = position + len(batch)
            taken.extend(batch)
            if len(taken) >= max_records:
                break
        return taken

    async def poll(self, timeout: float, max_records: int = 100) -> list[Message]:
        async with self._bus._changed:
            taken = self._take(max_records)
            if taken:
                return taken
            try:
                async with asyncio.timeout(timeout):
                    await self._bus._changed.wait()
            except TimeoutError:
                return []
            return self._take(max_records)

    def assigned(self) -> bool:
        return bool(self._positions)

    async def commit(self, messages: Sequence[Message]) -> None:
        for (topic, partition), offset in next_offsets(messages).items():
            key = (self._group, topic, partition)
            self._bus._committed[key] = max(self._bus._committed[key], offset)

    def lag(self) -> dict[tuple[str, int], int]:
        return {
            (topic, p): len(self._bus._log(topic)[p])
            - self._bus._committed[(self._group, topic, p)]
            for topic, p in self._positions
        }
