"""The valuation service on in-memory fakes: its message bus, its consumers and its HTTP API.

Events are handed to the service's own consumers (payload parsing, deduplication, dead letters)
and requests to its own routes, but every unit of work is a fake, so a test takes milliseconds.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.valuation.app import create_app, valuation_deps
from services.valuation.bootstrap import bootstrap
from services.valuation.entrypoints.consumers import VALUATION_CONSUMERS
from services.valuation.settings import ValuationSettings
from shared.bus.base import Message
from shared.bus.memory import InMemoryBus
from shared.consumer import EventConsumer
from shared.envelope import Envelope
from shared.identifiers import make_uscc
from shared.kernel.clock import ManualClock
from shared.topics import CREDIT_LOANS, REGISTRY_RIGHTS, dead_letter_topic
from tests.credentials import ActingAs
from tests.fakes.valuation import FakeValuationDatabase

START = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
PATENT = "202010123456.2"
SECOND_PATENT = "202110654321.3"
UNKNOWN_PATENT = "201910777888.2"
TRADEMARK = "31234567"
BANK = {"X-Bank-Id": "bank-hangzhou"}
APPRAISER = {"X-Appraiser-Id": "appraiser-li"}
RIGHTS = "valuation.rights"
APPLICATIONS = "valuation.applications"


class Service:
    """One valuation service on a fake database, with a clock the test moves."""

    def __init__(self, database: FakeValuationDatabase | None = None, **settings: Any) -> None:
        self.settings = ValuationSettings(
            environment="test", kafka_bootstrap_servers="memory://", **settings
        )
        self.clock = ManualClock(START)
        self.database = database or FakeValuationDatabase()
        self.messages = bootstrap(
            self.database.unit_of_work, valuation_deps(self.settings, self.clock)
        )
        self.dead_letters = InMemoryBus()
        self.consumers = {
            spec.name: EventConsumer(
                spec.name, self.dead_letters, spec.topics, spec.reactions, self.messages
            )
            for spec in VALUATION_CONSUMERS
        }
        app = create_app(self.settings, clock=self.clock)
        app.state.runtime.messages = self.messages
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://valuation",
            auth=ActingAs(),
        )
        self._offsets = itertools.count()

    async def deliver(self, topic: str, event: Envelope) -> None:
        """Hand one record to the consumer group reading `topic`, as the broker would."""
        [consumer] = [c for c in self.consumers.values() if topic in c.topics]
        message = Message(topic, 0, next(self._offsets), event.aggregate_id, event.to_json())
        await consumer.process(message)

    def handled(self, consumer: str) -> int:
        return self.consumers[consumer].handled

    def events(self, event_type: str | None = None) -> list[Envelope]:
        """What the service committed to its outbox."""
        return self.database.events(event_type)

    def dead_lettered(self, consumer: str) -> list[Message]:
        return self.dead_letters.messages(dead_letter_topic(consumer))

    async def record_patent(
        self, number: str, status: str = "valid", version: int = 1, **changes: Any
    ) -> Envelope:
        event = envelope(
            "registry.patent.recorded", number, patent_payload(number, status, **changes), version
        )
        await self.deliver(REGISTRY_RIGHTS, event)
        return event

    async def record_trademark(
        self, number: str, status: str = "registered", version: int = 1
    ) -> Envelope:
        event = envelope(
            "registry.trademark.recorded", number, trademark_payload(number, status), version
        )
        await self.deliver(REGISTRY_RIGHTS, event)
        return event

    async def right(self, number: str) -> dict[str, Any]:
        response = await self.client.get(f"/internal/v1/rights/{number}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def apply(
        self, collateral: list[tuple[str, str]], revenue: str = "8000000.00"
    ) -> tuple[Envelope, Envelope]:
        """Credit's application for a new loan, and the valuation it got."""
        loan_id = str(uuid.uuid4())
        application = envelope(
            "credit.application.submitted",
            loan_id,
            application_payload(loan_id, collateral, revenue),
        )
        await self.deliver(CREDIT_LOANS, application)
        return application, self.valuation_for(loan_id)

    def valuation_for(self, loan_id: str) -> Envelope:
        [completed] = [
            e for e in self.events("valuation.completed") if e.payload["reference"] == loan_id
        ]
        return completed

    async def disburse(self, loan_id: str) -> None:
        await self.deliver(CREDIT_LOANS, disbursed(loan_id))

    async def value_on_demand(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.post("/v1/valuations", json=body, headers=BANK | headers)


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    running = Service()
    async with running.client:
        yield running


def envelope(
    event_type: str, aggregate_id: str, payload: dict[str, Any], version: int = 1
) -> Envelope:
    return Envelope(
        event_type=event_type,
        schema_version=1,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        producer="test",
        payload=payload,
        correlation_id=str(uuid.uuid4()),
    )


def patent_payload(number: str, status: str = "valid", **changes: Any) -> dict[str, Any]:
    payload = {
        "number": number,
        "kind": "invention",
        "title": "Lens assembly",
        "holders": [{"name": "Lens Optics Co.", "uscc": make_uscc(42)}],
        "filing_date": "2020-03-02",
        "grant_date": "2022-05-10",
        "term_end": "2040-03-01",
        "legal_status": status,
        "fees_paid_through": "2027-03-01",
        "frozen": False,
        "invalidation_pending": False,
        "main_ipc": "G02B 7/02",
    }
    return payload | changes


def trademark_payload(number: str, status: str = "registered") -> dict[str, Any]:
    return {
        "number": number,
        "nice_class": 9,
        "goods": ["optical lenses"],
        "mark": "CLEARVIEW",
        "owner": {"name": "Lens Optics Co.", "uscc": make_uscc(42)},
        "valid_until": "2034-08-13",
        "status": status,
        "frozen": False,
    }


def application_payload(
    loan_id: str, collateral: list[tuple[str, str]], revenue: str = "8000000.00"
) -> dict[str, Any]:
    return {
        "loan_id": loan_id,
        "bank_id": "bank-hangzhou",
        "enterprise": {
            "uscc": make_uscc(42),
            "name": "Lens Optics Co.",
            "address": "1 Zhangjiang Road, Shanghai",
            "size_class": "small",
            "high_tech": True,
        },
        "requested_amount": "2000000.00",
        "term_months": 12,
        "purpose": "working capital",
        "collateral": [{"right_type": t, "number": n} for t, n in collateral],
        "attributable_revenue": revenue,
        "industry": "electronics",
        "submitted_at": "2026-06-01T02:00:00+00:00",
    }


def disbursed(loan_id: str) -> Envelope:
    return envelope(
        "credit.loan.disbursed",
        loan_id,
        {
            "loan_id": loan_id,
            "bank_id": "bank-hangzhou",
            "enterprise_uscc": make_uscc(42),
            "amount": "300000.00",
            "annual_rate": "0.0385",
            "maturity_date": "2027-06-01",
            "pledge_registration_number": "Y2026000001",
            "inclusive": True,
            "disbursed_at": "2026-06-02T02:00:00+00:00",
        },
    )


def central(event: Envelope) -> Decimal:
    return Decimal(event.payload["central"])
