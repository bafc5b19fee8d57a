"""One service in-process on PostgreSQL with its real migrations and an in-memory bus."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import ColumnElement, Table, func, select

from shared.bus.base import Message, Record
from shared.bus.memory import InMemoryBus
from shared.envelope import Envelope
from shared.kernel.clock import ManualClock
from shared.runtime import ServiceRuntime
from shared.tokens import audience
from tests.credentials import ActingAs


@dataclass
class Running:
    app: FastAPI
    bus: InMemoryBus
    client: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        runtime = self.app.state.runtime
        assert isinstance(runtime, ServiceRuntime)
        return runtime

    def handled(self, consumer: str) -> int:
        return next(c.handled for c in self.runtime.consumers if c.name == consumer)

    async def count(self, table: Table, *where: ColumnElement[bool]) -> int:
        async with self.runtime.engine.connect() as connection:
            query = select(func.count()).select_from(table).where(*where)
            return int(await connection.scalar(query) or 0)

    async def rows(self, table: Table, *where: ColumnElement[bool]) -> list[dict[str, Any]]:
        async with self.runtime.engine.connect() as connection:
            result = await connection.execute(select(table).where(*where))
            return [dict(row._mapping) for row in result]

    def events(self, topic: str, event_type: str | None = None) -> list[Envelope]:
        found = [Envelope.from_json(m.value) for m in self.bus.messages(topic)]
        return [e for e in found if event_type is None or e.event_type == event_type]

    def dead_letters(self, topic: str) -> list[Message]:
        return self.bus.messages(topic)


@asynccontextmanager
async def running(create_app: Callable[..., FastAPI], settings: Any) -> AsyncIterator[Running]:
    """The app in-process on an in-memory bus, on a clock the test moves (`at`)."""
    bus = InMemoryBus()
    bound = create_app.keywords if isinstance(create_app, partial) else {}
    accepts_clock = "clock" in inspect.signature(create_app).parameters
    if accepts_clock and "clock" not in bound:
        app = create_app(settings, bus=bus, clock=ManualClock(datetime.now(UTC)))
    else:
        app = create_app(settings, bus=bus)
    transport = httpx.ASGITransport(app=app)
    acting = ActingAs(audience=audience(app.state.runtime.service))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test", auth=acting) as client,
    ):
        yield Running(app, bus, client)


def at(service: Running, moment: datetime) -> None:
    """Set the service's clock to `moment`."""
    clock = service.app.state.deps.clock
    assert isinstance(clock, ManualClock), "the service runs on a clock the test cannot move"
    clock.set(moment)


async def eventually(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.02)


def envelope(event_type: str, aggregate_id: str, payload: dict[str, Any]) -> Envelope:
    return Envelope(
        event_type=event_type,
        schema_version=1,
        aggregate_id=aggregate_id,
        aggregate_version=1,
        producer="test",
        payload=payload,
        correlation_id=str(uuid.uuid4()),
    )


async def publish(bus: InMemoryBus, topic: str, event: Envelope, key: str | None = None) -> None:
    record = Record(topic=topic, key=key or event.aggregate_id, value=event.to_json())
    await bus.publish([record])
