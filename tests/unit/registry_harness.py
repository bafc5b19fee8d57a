"""The registry service on in-memory fakes: its message bus, its consumers, its timers and its
HTTP API, with a clock the tests move.

Events are handed to the service's own consumer (payload parsing, deduplication, dead letters)
and requests to its own routes, but every unit of work is a fake, so a test takes
milliseconds. The request helpers below work on this harness and on the registry running on
PostgreSQL (`tests/integration`) alike: both have the app and an HTTP client.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import httpx
import pytest
from fastapi import FastAPI

from services.registry.app import create_app
from services.registry.bootstrap import bootstrap
from services.registry.entrypoints.consumers import registry_consumers
from services.registry.runtime import RegistryTimers
from services.registry.service_layer.deps import RegistryDeps
from services.registry.settings import RegistrySettings
from shared.auth import Role
from shared.bus.base import Message
from shared.bus.memory import InMemoryBus
from shared.consumer import EventConsumer
from shared.envelope import Envelope
from shared.identifiers import make_uscc, patent_check_digit
from shared.kernel.clock import ManualClock
from shared.tokens import audience
from shared.topics import CREDIT_LOANS, dead_letter_topic
from shared.workdays import BEIJING
from tests.credentials import ActingAs, staff_headers
from tests.dates import days_from_today
from tests.fakes.registry import FakeRegistryDatabase

FILINGS = "registry.filings"
PLEDGOR = {"name": "Hangzhou Lens Optics Co., Ltd.", "uscc": make_uscc(7), "address": "Hangzhou"}
PLEDGEE = {
    "name": "Hangzhou Science and Technology Bank",
    "uscc": "91330100609123456B",
    "address": "88 Qianjiang Road, Hangzhou",
}
STRANGER = {"name": "Ningbo Mould Works Co., Ltd.", "uscc": make_uscc(8)}
FILED_ON = date(2019, 3, 1)
TERM_END = date(2039, 2, 28)
ACK = ["patent.invalidation_pending"]
DESK = "/internal/v1/examination"
SUPERVISOR = staff_headers("supervisor-wang", Role.SUPERVISOR)
_serials = itertools.count(1)


class Registry:
    """One registry service on a fake database; several may share one database."""

    def __init__(
        self,
        database: FakeRegistryDatabase | None = None,
        start: datetime | None = None,
        **settings: Any,
    ) -> None:
        self.settings = RegistrySettings(
            environment="test", kafka_bootstrap_servers="memory://", **settings
        )
        self.clock = ManualClock(start or datetime.now(UTC))
        self.database = database or FakeRegistryDatabase()
        self.app = create_app(self.settings, clock=self.clock)
        deps = self.app.state.deps
        assert isinstance(deps, RegistryDeps)
        self.deps = deps
        self.messages = bootstrap(self.database.unit_of_work, deps)
        self.app.state.runtime.messages = self.messages
        timers = self.app.state.timers
        assert isinstance(timers, RegistryTimers)
        self.timers = timers
        self.dead_letters = InMemoryBus()
        self.consumers = {
            spec.name: EventConsumer(
                spec.name, self.dead_letters, spec.topics, spec.reactions, self.messages
            )
            for spec in registry_consumers(self.clock)
        }
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://registry",
            auth=ActingAs(audience=audience("registry")),
        )
        self._offsets = itertools.count()

    async def deliver(self, event: Envelope, topic: str = CREDIT_LOANS) -> None:
        """Hand one record to the consumer group reading `topic`, as the broker would."""
        [consumer] = [c for c in self.consumers.values() if topic in c.topics]
        message = Message(topic, 0, next(self._offsets), event.aggregate_id, event.to_json())
        await consumer.process(message)

    def handled(self, consumer: str = FILINGS) -> int:
        return self.consumers[consumer].handled

    def dead_lettered(self, consumer: str = FILINGS) -> list[Message]:
        return self.dead_letters.messages(dead_letter_topic(consumer))

    def events(self, event_type: str | None = None) -> list[Envelope]:
        """What the service committed to its outbox, in commit order."""
        return self.database.events(event_type)

    def held(self, right: str) -> list[str]:
        """Registration numbers of the active pledges holding `right`."""
        rows = self.database.pledged_rights.rows
        return [rows[right].value.registration_number] if right in rows else []


@pytest.fixture
async def registry() -> AsyncIterator[Registry]:
    service = Registry()
    async with service.client:
        yield service


class Served(Protocol):
    """A registry the tests talk to over HTTP: on fakes here, on PostgreSQL in integration."""

    app: FastAPI
    client: httpx.AsyncClient


def at(service: Served, moment: datetime) -> None:
    """Set the service's clock to `moment`."""
    clock = service.app.state.deps.clock
    assert isinstance(clock, ManualClock), "the service runs on a clock the test cannot move"
    clock.set(moment)


def beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def new_patent_number() -> str:
    digits = f"20191{next(_serials):07d}"
    return f"{digits}.{patent_check_digit(digits)}"


def invalid_uscc(valid: str) -> str:
    return valid[:-1] + ("0" if valid[-1] != "0" else "1")


async def put_patent(service: Served, **changes: Any) -> str:
    number = changes.pop("number", None) or new_patent_number()
    body = {
        "number": number,
        "title": "Lens assembly with adaptive focus",
        "holders": [{"name": PLEDGOR["name"], "uscc": PLEDGOR["uscc"]}],
        "filing_date": FILED_ON.isoformat(),
        "grant_date": "2021-05-10",
        "legal_status": "valid",
        "fees_paid_through": days_from_today(365).isoformat(),
        "main_ipc": "G02B 7/02",
    } | changes
    response = await service.client.put(f"/internal/v1/patents/{number}", json=body)
    assert response.status_code == 200, response.text
    return number


def filing(*patents: str, **changes: Any) -> dict[str, Any]:
    return {
        "pledgor": PLEDGOR,
        "pledgee": PLEDGEE,
        "debt_type": "loan",
        "secured_amount": "300000.00",
        "performance_deadline": days_from_today(365).isoformat(),
        "patents": list(patents),
        "scope_of_guarantee": "principal, interest and enforcement costs",
    } | changes


async def file(service: Served, body: dict[str, Any]) -> httpx.Response:
    return await service.client.post("/v1/pledge-filings", json=body)


async def filed_at(service: Served, moment: datetime) -> dict[str, Any]:
    """A clean filing received at `moment`, on a patent and a debt that outlive the 2030s."""
    at(service, moment)
    patent = await put_patent(service, fees_paid_through="2036-12-31")
    response = await file(service, filing(patent, performance_deadline="2035-06-30"))
    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["status"] == "registered", filed["findings"]
    return dict(filed)


async def put_year(
    service: Served, year: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    """Enter a year's official schedule, as a supervisor unless `headers` say otherwise."""
    return await service.client.put(
        f"/internal/v1/calendar/{year}", json=body, headers=headers or SUPERVISOR
    )


def end_of_beijing(day: date) -> datetime:
    """24:00 Beijing time at the end of `day`, in UTC."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), BEIJING).astimezone(UTC)


def codes(filed: dict[str, Any]) -> set[str]:
    return {finding["code"] for finding in filed["findings"]}


def as_examiner(name: str) -> dict[str, str]:
    return {"X-Examiner-Id": name}


async def examined(service: Served, acknowledged: bool = True, **changes: Any) -> dict[str, Any]:
    """A filing the checks send to an examiner (a pending invalidation)."""
    patent = changes.pop("patent", None) or await put_patent(service, invalidation_pending=True)
    body = filing(patent, acknowledgements=ACK if acknowledged else [], **changes)
    response = await file(service, body)
    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["status"] == "in_examination"
    return dict(filed)


async def act(
    service: Served, filing_id: str, action: str, examiner: str, body: Any = None
) -> httpx.Response:
    url = f"{DESK}/filings/{filing_id}/{action}"
    return await service.client.post(url, json=body, headers=as_examiner(examiner))


async def claim(service: Served, filing_id: str, examiner: str) -> dict[str, Any]:
    response = await act(service, filing_id, "claim", examiner)
    assert response.status_code == 200, response.text
    return dict(response.json())


def problem_code(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["code"])


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


def filing_requested(loan_id: str, body: dict[str, Any]) -> Envelope:
    """Credit's request to register the pledge of a loan."""
    payload = body | {"loan_id": loan_id, "filing_reference": loan_id, "trademarks": []}
    return envelope("credit.pledge_filing.requested", loan_id, payload)


def release_requested(loan_id: str, registration_number: str, at: datetime) -> Envelope:
    """Credit's report that a loan's debt is settled."""
    payload = {
        "loan_id": loan_id,
        "registration_number": registration_number,
        "reason": "debt_repaid",
        "requested_at": at.isoformat(),
    }
    return envelope("credit.pledge_release.requested", loan_id, payload)
