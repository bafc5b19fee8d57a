"""The console in process: its real app, consumers and workers on SQLite and the in-memory bus,
with the three services stood in for by a recorder that answers as they would."""

from __future__ import annotations

import asyncio
import inspect
import re
import shutil
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.console.app import create_app
from services.console.domain.staff import Person
from services.console.service_layer.ports import Answer, RefusedAsConflict, ServiceRefused
from services.console.settings import ConsoleSettings
from shared.bus.base import Record
from shared.bus.memory import InMemoryBus
from shared.envelope import Envelope
from shared.kernel.clock import ManualClock
from shared.migrations import upgrade

PASSWORD = "pledgeflow-dev"
CSRF = re.compile(r'name="csrf" value="([^"]*)"')


@dataclass
class Call:
    person: Person
    service: str
    method: str
    path: str
    body: Mapping[str, Any] | None


@dataclass
class RecordingServices:
    """Stands in for registry, valuation and credit: records each call, answers from a table."""

    calls: list[Call] = field(default_factory=list)
    answers: dict[tuple[str, str], Any] = field(default_factory=dict)
    refusals: dict[tuple[str, str], tuple[int, str, str]] = field(default_factory=dict)

    async def call(
        self,
        person: Person,
        service: str,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
    ) -> Answer:
        self.calls.append(Call(person, service, method, path, body))
        refusal = self.refusals.get((method, path))
        if refusal is not None:
            status, code, title = refusal
            kind = RefusedAsConflict if status == 409 else ServiceRefused
            raise kind(status, code, title, f"{title} (as the service said)")
        return Answer(200, self.answers.get((method, path), {}))


class Console:
    """The console app with its lifespan running, and a browser-like client."""

    def __init__(self, tmp: Path, start: datetime | None = None, **settings: Any) -> None:
        database = tmp / "console.db"
        shutil.copy(_TEMPLATE[0], database)
        url = f"sqlite+aiosqlite:///{database}"
        self.settings = ConsoleSettings(
            environment="test", database_url=url, kafka_bootstrap_servers="memory://", **settings
        )
        self.clock = ManualClock(start or datetime.now(UTC))
        self.services = RecordingServices()
        self.app = create_app(self.settings, clock=self.clock, services=self.services)
        self.bus: InMemoryBus = self.app.state.runtime.bus
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="https://console"
        )

    async def publish(self, topic: str, *events: Envelope) -> None:
        await self.bus.publish(
            [
                Record(
                    topic,
                    e.aggregate_id,
                    e.to_json(),
                    (
                        ("event_type", e.event_type.encode()),
                        ("correlation_id", e.correlation_id.encode()),
                    ),
                )
                for e in events
            ]
        )

    async def until(self, ready: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait for the console's consumers to catch up."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            found = ready()
            if inspect.isawaitable(found):
                found = await found
            if found:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError("the console never caught up")

    async def sign_in(self, staff_id: str, password: str = PASSWORD) -> httpx.Response:
        form = await self.client.get("/sign-in")
        token = csrf_of(form.text)
        return await self.client.post(
            "/sign-in", data={"csrf": token, "staff_id": staff_id, "password": password}
        )

    async def post(self, path: str, data: Mapping[str, Any] | None = None) -> httpx.Response:
        """Post a form as the page it comes from would: with the session's CSRF token."""
        page = await self.client.get("/")
        token = csrf_of((await self.client.get(page.headers["location"])).text)
        return await self.client.post(path, data={"csrf": token, **(data or {})})


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form token"
    return found[1]


def envelope(
    event_type: str,
    aggregate_id: str,
    payload: dict[str, Any],
    *,
    version: int = 1,
    correlation_id: str = "case-1",
    producer: str | None = None,
    at: datetime | None = None,
) -> Envelope:
    return Envelope(
        event_type=event_type,
        schema_version=1,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        producer=producer or event_type.split(".", 1)[0],
        payload=payload,
        correlation_id=correlation_id,
        occurred_at=at or datetime.now(UTC),
    )


_TEMPLATE: list[Path] = []


async def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the console's migrations applied, made once per session."""
    if not _TEMPLATE:
        path = tmp_path_factory.mktemp("console-template") / "console.db"
        await asyncio.to_thread(upgrade, "console", f"sqlite+aiosqlite:///{path}")
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


@pytest.fixture
async def console(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Console]:
    await migrated_template(tmp_path_factory)
    running = Console(tmp_path)
    async with running.app.router.lifespan_context(running.app), running.client:
        yield running
