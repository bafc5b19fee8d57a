"""The valuation service in-process: register events in, valuations out, and its HTTP API."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.valuation.app import create_app
from services.valuation.service_layer.handlers import split_evenly
from services.valuation.settings import ValuationSettings
from shared.bus.base import Message, Record
from shared.bus.memory import InMemoryBus
from shared.envelope import Envelope
from shared.identifiers import make_uscc
from shared.migrations import upgrade
from shared.runtime import ServiceRuntime
from tests.credentials import ActingAs

RIGHTS_TOPIC = "pledgeflow.registry.rights"
LOANS_TOPIC = "pledgeflow.credit.loans"
VALUATIONS_TOPIC = "pledgeflow.valuation.valuations"
DLQ_APPLICATIONS = "pledgeflow.dlq.valuation.applications"

PATENT = "202010123456.2"
SECOND_PATENT = "202110654321.3"
UTILITY_MODEL = "202020111222.1"
UNKNOWN_PATENT = "201910777888.2"
TRADEMARK = "31234567"
BANK = {"X-Bank-Id": "bank-of-test"}


@dataclass
class Service:
    bus: InMemoryBus
    client: httpx.AsyncClient
    runtime: ServiceRuntime

    def handled(self, consumer: str) -> int:
        return next(c.handled for c in self.runtime.consumers if c.name == consumer)


async def migrated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'valuation.db'}"
    await asyncio.to_thread(upgrade, "valuation", url)
    return url


@asynccontextmanager
async def running_service(url: str, **overrides: Any) -> AsyncIterator[Service]:
    settings = ValuationSettings(
        environment="test",
        database_url=url,
        kafka_bootstrap_servers="memory://",
        outbox_poll_interval=0.05,
        **overrides,
    )
    bus = InMemoryBus()
    app = create_app(settings, bus=bus)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://valuation", auth=ActingAs()
        ) as client,
    ):
        yield Service(bus, client, app.state.runtime)


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(await migrated_sqlite(tmp_path)) as running:
        yield running


async def eventually(probe: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met before the deadline")


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


async def publish(bus: InMemoryBus, topic: str, event: Envelope) -> None:
    await bus.publish([Record(topic=topic, key=event.aggregate_id, value=event.to_json())])


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
        "bank_id": "bank-of-test",
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


async def record_patent(
    service: Service, number: str, status: str = "valid", version: int = 1, **changes: Any
) -> Envelope:
    payload = patent_payload(number, status, **changes)
    event = envelope("registry.patent.recorded", number, payload, version)
    await publish(service.bus, RIGHTS_TOPIC, event)
    return event


async def record_trademark(
    service: Service, number: str, status: str = "registered", version: int = 1
) -> Envelope:
    payload = trademark_payload(number, status)
    event = envelope("registry.trademark.recorded", number, payload, version)
    await publish(service.bus, RIGHTS_TOPIC, event)
    return event


async def recorded(service: Service, number: str, version: int = 1) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await service.client.get(f"/internal/v1/rights/{number}")
        if response.status_code != 200 or response.json()["source_event_version"] < version:
            return None
        return response.json()

    return await eventually(probe)


async def valuation_for(service: Service, loan_id: str) -> tuple[Envelope, Message]:
    def probe() -> tuple[Envelope, Message] | None:
        for message in service.bus.messages(VALUATIONS_TOPIC):
            event = Envelope.from_json(message.value)
            if event.payload["reference"] == loan_id:
                return event, message
        return None

    return await eventually(probe)


async def apply(
    service: Service, collateral: list[tuple[str, str]], revenue: str = "8000000.00"
) -> tuple[Envelope, Envelope]:
    loan_id = str(uuid.uuid4())
    event = envelope(
        "credit.application.submitted", loan_id, application_payload(loan_id, collateral, revenue)
    )
    await publish(service.bus, LOANS_TOPIC, event)
    completed, _ = await valuation_for(service, loan_id)
    return event, completed


async def test_application_is_valued_from_the_register_read_model(service: Service) -> None:
    await record_patent(service, PATENT)
    await recorded(service, PATENT)

    application, completed = await apply(service, [("patent", f"CN {PATENT}")])

    payload = completed.payload
    assert completed.event_type == "valuation.completed"
    assert completed.schema_version == 1
    assert completed.producer == "valuation"
    assert completed.aggregate_id == payload["valuation_id"]
    assert completed.correlation_id == application.correlation_id
    assert completed.causation_id == application.event_id
    assert payload["reference"] == application.payload["loan_id"]
    assert payload["requested_by"] == "credit"
    assert payload["parameter_version"] == "2026.1"
    assert payload["status"] == "final"
    assert Decimal(payload["central"]) > 0
    [right] = payload["rights"]
    assert right["number"] == PATENT
    assert right["kind"] == "invention"
    assert right["method"] == "income_royalty_share"
    assert right["zero_reason"] is None
    assert Decimal(right["low"]) < Decimal(right["central"]) < Decimal(right["high"])
    assert {"quality_score", "royalty_rate", "discount_rate"} <= {
        d["name"] for d in right["drivers"]
    }


async def test_right_missing_from_the_register_is_valued_at_zero(service: Service) -> None:
    _, completed = await apply(service, [("patent", UNKNOWN_PATENT), ("trademark", TRADEMARK)])

    payload = completed.payload
    assert Decimal(payload["central"]) == 0
    assert [(r["number"], r["kind"], r["zero_reason"]) for r in payload["rights"]] == [
        (UNKNOWN_PATENT, "invention", "right.not_on_register"),
        (TRADEMARK, "trademark", "right.not_on_register"),
    ]
    assert all(Decimal(r["central"]) == 0 for r in payload["rights"])


async def test_lapsed_patent_is_valued_at_zero_with_its_reason(service: Service) -> None:
    await record_patent(service, PATENT, status="terminated")
    assert (await recorded(service, PATENT))["legal_status"] == "lapsed"

    _, completed = await apply(service, [("patent", PATENT)])

    [right] = completed.payload["rights"]
    assert right["zero_reason"] == "right.lapsed"
    assert right["method"] == "zero"
    assert Decimal(completed.payload["central"]) == 0


async def test_trademark_statuses_are_mapped_and_registered_marks_are_valued(
    service: Service,
) -> None:
    await record_trademark(service, TRADEMARK)
    await record_trademark(service, "7654321", status="cancelled")
    assert (await recorded(service, TRADEMARK))["legal_status"] == "valid"
    assert (await recorded(service, "7654321"))["legal_status"] == "revoked"

    _, completed = await apply(service, [("trademark", TRADEMARK), ("trademark", "7654321")])

    valid, revoked = completed.payload["rights"]
    assert valid["method"] == "relief_from_royalty"
    assert Decimal(valid["central"]) > 0
    assert revoked["zero_reason"] == "right.revoked"


async def test_an_older_register_version_never_overwrites_a_newer_one(service: Service) -> None:
    await record_patent(service, PATENT, status="valid", version=2)
    await recorded(service, PATENT, version=2)
    await record_patent(service, PATENT, status="terminated", version=1)
    await eventually(lambda: service.handled("valuation.rights") == 2)

    row = await recorded(service, PATENT)
    assert row["legal_status"] == "valid"
    assert row["source_event_version"] == 2


async def test_on_demand_valuation_returns_ranges_drivers_and_parameter_version(
    service: Service,
) -> None:
    for number in (PATENT, SECOND_PATENT):
        await record_patent(service, number)
        await recorded(service, number)
    body = {
        "rights": [
            {"right_type": "patent", "number": f"CN{PATENT}"},
            {"right_type": "patent", "number": SECOND_PATENT},
            {"right_type": "patent", "number": UNKNOWN_PATENT},
        ],
        "annual_revenue": "1000.01",
        "industry": "electronics",
        "high_tech": True,
        "comparables": [{"price": "900.00", "similarity": "0.8"}],
        "replacement_cost": "100.00",
    }

    response = await service.client.post("/v1/valuations", json=body, headers=BANK)

    assert response.status_code == 201, response.text
    valuation = response.json()
    assert valuation["parameter_version"] == "2026.1"
    assert valuation["reference"] is None
    first, second, unknown = valuation["rights"]
    assert (first["number"], second["number"]) == (PATENT, SECOND_PATENT)
    assert first["drivers"] and all({"name", "value", "effect"} <= set(d) for d in first["drivers"])
    assert first["method"] in {"market", "cost", "income_royalty_share"}
    assert unknown["zero_reason"] == "right.not_on_register"
    per_right = valuation["inputs"]["per_right"]
    assert per_right[PATENT]["annual_revenue"] == "500.01"
    assert per_right[SECOND_PATENT]["annual_revenue"] == "500.00"
    assert per_right[PATENT]["comparables"] == [{"price": "450.00", "similarity": "0.8"}]
    assert valuation["inputs"]["allocation"]

    again = await service.client.get(f"/v1/valuations/{valuation['valuation_id']}", headers=BANK)
    assert again.status_code == 200
    assert again.json()["rights"] == valuation["rights"]
    assert again.json()["central"] == valuation["central"]
    stranger = {"X-Bank-Id": "another-bank"}
    hidden = await service.client.get(
        f"/v1/valuations/{valuation['valuation_id']}", headers=stranger
    )
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "valuation.not_found"

    def shipped() -> bool:
        return any(
            Envelope.from_json(m.value).aggregate_id == valuation["valuation_id"]
            for m in service.bus.messages(VALUATIONS_TOPIC)
        )

    await eventually(shipped)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("CN202010123456.7", "patent_number.check_digit"),
        ("not-a-number", "patent_number.format"),
    ],
)
async def test_malformed_patent_number_is_rejected(
    service: Service, number: str, code: str
) -> None:
    body = {
        "rights": [{"right_type": "patent", "number": number}],
        "annual_revenue": "1000.00",
    }

    response = await service.client.post("/v1/valuations", json=body, headers=BANK)

    assert response.status_code == 422
    assert response.json()["code"] == "request.invalid"
    assert response.json()["errors"][0]["field"] == "rights.0.patent.number"
    assert response.json()["errors"][0]["code"] == code


async def test_a_bank_credential_is_required_and_unknown_rights_are_not_found(
    service: Service,
) -> None:
    body = {"rights": [{"right_type": "trademark", "number": TRADEMARK}], "annual_revenue": "1"}

    missing = await service.client.post("/v1/valuations", json=body, headers={"X-Anonymous": "1"})
    staff = await service.client.post("/v1/valuations", json=body, headers={"X-Appraiser-Id": "a1"})
    unknown = await service.client.get(f"/internal/v1/rights/{UNKNOWN_PATENT}")

    assert (missing.status_code, missing.json()["code"]) == (401, "auth.missing")
    assert (staff.status_code, staff.json()["code"]) == (403, "auth.bank_only")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "right.not_found"


async def test_malformed_application_goes_to_the_dead_letter_topic(service: Service) -> None:
    loan_id = str(uuid.uuid4())
    payload = application_payload(loan_id, [("patent", PATENT)])
    payload["attributable_revenue"] = "a lot"
    event = envelope("credit.application.submitted", loan_id, payload)

    await publish(service.bus, LOANS_TOPIC, event)

    [dead] = await eventually(lambda: service.bus.messages(DLQ_APPLICATIONS))
    assert dead.header("dlq.reason") == "payload.invalid"
    assert Envelope.from_json(dead.value).event_id == event.event_id
    assert not service.bus.messages(VALUATIONS_TOPIC)


async def test_register_event_with_a_malformed_number_is_dead_lettered(service: Service) -> None:
    event = envelope("registry.patent.recorded", "x", patent_payload("202010123456.9"))

    await publish(service.bus, RIGHTS_TOPIC, event)

    [dead] = await eventually(lambda: service.bus.messages("pledgeflow.dlq.valuation.rights"))
    assert dead.header("dlq.reason") == "payload.invalid"
    assert "check digit" in (dead.header("dlq.detail") or "")


def test_revenue_is_split_in_equal_shares_to_the_fen() -> None:
    assert split_evenly(Decimal("1000.00"), 3) == [
        Decimal("333.34"),
        Decimal("333.33"),
        Decimal("333.33"),
    ]
    assert split_evenly(Decimal("0.01"), 2) == [Decimal("0.01"), Decimal("0.00")]
    assert split_evenly(Decimal("5"), 0) == []
