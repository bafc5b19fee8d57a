"""The credit service on PostgreSQL: the bank API and the events that move a loan along."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from services.credit.adapters.orm import loans, metadata
from services.credit.app import create_app
from services.credit.domain.events import LOANS_TOPIC
from services.credit.entrypoints.sweeper import TimeoutSweeper
from services.credit.service_layer.banks import load_banks
from services.credit.settings import DEFAULT_BANKS, CreditSettings
from shared.envelope import Envelope
from shared.identifiers import make_uscc, patent_check_digit
from shared.kernel.clock import ManualClock
from tests.conftest import MakeDatabase
from tests.integration.conftest import Running, envelope, eventually, publish, running

pytestmark = pytest.mark.postgres

VALUATIONS_TOPIC = "pledgeflow.valuation.valuations"
PLEDGES_TOPIC = "pledgeflow.registry.pledges"
DLQ_PLEDGES = "pledgeflow.dlq.credit.pledges"
OUTBOX = metadata.tables["outbox"]
BANKS = load_banks(DEFAULT_BANKS)
HANGZHOU = {"X-Bank-Id": "bank-hangzhou"}
QINGDAO = {"X-Bank-Id": "bank-qingdao"}
ENTERPRISE_USCC = make_uscc(7)
PATENT_DIGITS = "201910000042"
PATENT = f"{PATENT_DIGITS}.{patent_check_digit(PATENT_DIGITS)}"


@asynccontextmanager
async def credit_service(
    url: str, clock: ManualClock | None = None, banks_file: Path = DEFAULT_BANKS
) -> AsyncIterator[Running]:
    """The credit service on `url`; its sweeper sweeps at start, then when a test says so."""
    settings = CreditSettings(
        environment="test",
        database_url=url,
        kafka_bootstrap_servers="memory://",
        http_port=0,
        outbox_poll_interval=0.05,
        banks_file=banks_file,
        sweep_interval=3600,
    )
    async with running(partial(create_app, clock=clock), settings) as service:
        yield service


def banks_with(tmp_path: Path, **replacements: str) -> Path:
    """A copy of the bank configuration with some text replaced."""
    text = DEFAULT_BANKS.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "banks.yaml"
    path.write_text(text)
    return path


def sweeper(credit: Running) -> TimeoutSweeper:
    found = credit.app.state.sweeper
    assert isinstance(found, TimeoutSweeper)
    return found


@pytest.fixture
async def credit(make_database: MakeDatabase) -> AsyncIterator[Running]:
    url = await make_database("credit")
    async with credit_service(url) as service:
        yield service


def application(**changes: Any) -> dict[str, Any]:
    return {
        "enterprise": {
            "uscc": ENTERPRISE_USCC,
            "name": "Hangzhou Lens Optics Co., Ltd.",
            "address": "9 Wensan Road, Hangzhou",
            "size_class": "small",
            "high_tech": True,
        },
        "requested_amount": "2000000.00",
        "term_months": 12,
        "purpose": "working capital",
        "collateral": [{"right_type": "patent", "number": f"CN{PATENT}"}],
        "attributable_revenue": "8000000.00",
        "industry": "optics",
    } | changes


def valuation_completed(
    loan_id: str,
    central: str = "1000000.00",
    expiry_date: str | None = None,
    status: str | None = None,
) -> Envelope:
    valuation_id = str(uuid.uuid4())
    right = {"number": PATENT, "kind": "invention", "central": central, "zero_reason": None}
    if expiry_date is not None:
        right["expiry_date"] = expiry_date
    payload = {
        "valuation_id": valuation_id,
        "reference": loan_id,
        "requested_by": "credit",
        "rights": [right | {"low": "800000.00", "high": "1200000.00"}],
        "central": central,
        "parameters_version": "2026.1",
    }
    if status is not None:
        payload["status"] = status
    return envelope("valuation.completed", valuation_id, payload)


def pledge_registered(
    loan_id: str,
    pledgee_uscc: str | None = None,
    number: str = "Y2026000001",
    patents: tuple[str, ...] = (PATENT,),
    registered_at: datetime | None = None,
) -> Envelope:
    filing_id = str(uuid.uuid4())
    payload = {
        "filing_id": filing_id,
        "filing_reference": loan_id,
        "registration_number": number,
        "pledgor": {"name": "Hangzhou Lens Optics Co., Ltd.", "uscc": ENTERPRISE_USCC},
        "pledgee": {"name": "Bank", "uscc": pledgee_uscc or BANKS["bank-hangzhou"].uscc},
        "patents": list(patents),
        "trademarks": [],
        "within_deadline": True,
    }
    if registered_at is not None:
        payload["registered_at"] = registered_at.isoformat()
    return envelope("registry.pledge.registered", filing_id, payload)


def filing_refused(loan_id: str) -> Envelope:
    filing_id = str(uuid.uuid4())
    payload = {
        "filing_id": filing_id,
        "filing_reference": loan_id,
        "pledgee": {"name": "Bank", "uscc": BANKS["bank-hangzhou"].uscc},
        "patents": [PATENT],
        "trademarks": [],
        "findings": [{"code": "right.frozen"}],
    }
    return envelope("registry.filing.refused", filing_id, payload)


async def submit(credit: Running, headers: dict[str, str] = HANGZHOU, **changes: Any) -> str:
    response = await credit.client.post(
        "/v1/loan-applications", json=application(**changes), headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["loan_id"])


async def loan(credit: Running, loan_id: str, headers: dict[str, str] = HANGZHOU) -> dict[str, Any]:
    response = await credit.client.get(f"/v1/loans/{loan_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def reaches(
    credit: Running, loan_id: str, status: str, headers: dict[str, str] = HANGZHOU
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        current = await loan(credit, loan_id, headers)
        return current if current["status"] == status else None

    return dict(await eventually(probe))


async def quota(credit: Running, bank_id: str = "bank-hangzhou") -> dict[str, Any]:
    response = await credit.client.get("/internal/v1/quotas")
    assert response.status_code == 200, response.text
    return dict(next(q for q in response.json() if q["bank_id"] == bank_id))


async def handled_after(credit: Running, consumer: str, before: int, count: int = 1) -> None:
    await eventually(lambda: credit.handled(consumer) >= before + count)


def loan_events(credit: Running, loan_id: str, event_type: str) -> list[Envelope]:
    return [e for e in credit.events(LOANS_TOPIC, event_type) if e.aggregate_id == loan_id]


async def offered(credit: Running) -> str:
    loan_id = await submit(credit)
    await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(loan_id))
    await reaches(credit, loan_id, "offered")
    return loan_id


async def pledge_filed(credit: Running) -> str:
    loan_id = await offered(credit)
    response = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
    assert response.status_code == 200, response.text
    return loan_id


async def disbursed(credit: Running, **changes: Any) -> str:
    loan_id = await submit(credit, **changes)
    await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(loan_id))
    await reaches(credit, loan_id, "offered")
    response = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
    assert response.status_code == 200, response.text
    await publish(credit.bus, PLEDGES_TOPIC, pledge_registered(loan_id))
    await reaches(credit, loan_id, "disbursed")
    return loan_id


async def test_an_application_waits_for_valuation_and_is_announced(credit: Running) -> None:
    response = await credit.client.post(
        "/v1/loan-applications", json=application(), headers=HANGZHOU
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "awaiting_valuation"
    assert body["requested_amount"] == "2000000.00"
    assert body["collateral"] == [{"right_type": "patent", "number": PATENT}]
    [submitted] = await eventually(
        lambda: loan_events(credit, body["loan_id"], "credit.application.submitted")
    )
    assert submitted.payload["bank_id"] == "bank-hangzhou"
    assert submitted.payload["enterprise"]["uscc"] == ENTERPRISE_USCC
    assert (await loan(credit, body["loan_id"]))["status"] == "awaiting_valuation"


async def test_an_unknown_bank_is_turned_away(credit: Running) -> None:
    response = await credit.client.post(
        "/v1/loan-applications", json=application(), headers={"X-Bank-Id": "bank-nowhere"}
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "bank.unknown"
    assert await credit.count(loans) == 0


async def test_an_invalid_uscc_is_rejected_and_nothing_is_stored(credit: Running) -> None:
    bad_uscc = ENTERPRISE_USCC[:-1] + ("0" if ENTERPRISE_USCC[-1] != "0" else "1")
    enterprise = application()["enterprise"] | {"uscc": bad_uscc}
    response = await credit.client.post(
        "/v1/loan-applications", json=application(enterprise=enterprise), headers=HANGZHOU
    )

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "request.invalid"
    assert "uscc.check_character" in [error["code"] for error in problem["errors"]]
    assert await credit.count(loans) == 0
    assert await credit.count(OUTBOX) == 0


async def test_another_bank_cannot_see_or_accept_the_loan(credit: Running) -> None:
    loan_id = await offered(credit)
    read = await credit.client.get(f"/v1/loans/{loan_id}", headers=QINGDAO)
    accept = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=QINGDAO)
    for response in (read, accept):
        assert response.status_code == 404
        assert response.json()["code"] == "loan.not_found"
    assert (await loan(credit, loan_id))["status"] == "offered"


async def test_a_loan_runs_from_valuation_to_disbursement(credit: Running) -> None:
    loan_id = await submit(credit)
    await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(loan_id))

    decided = await reaches(credit, loan_id, "offered")
    assert decided["approved_amount"] == "300000.00"
    assert decided["appraised_value"] == "1000000.00"
    assert decided["policy_version"] == "hz-2026.2"
    [event] = await eventually(lambda: loan_events(credit, loan_id, "credit.loan.decided"))
    assert event.payload["outcome"] == "approve"
    assert event.payload["approved_amount"] == "300000.00"

    response = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pledge_filed"
    [request] = await eventually(
        lambda: loan_events(credit, loan_id, "credit.pledge_filing.requested")
    )
    assert request.payload["filing_reference"] == loan_id
    assert request.payload["secured_amount"] == "300000.00"
    assert request.payload["pledgee"]["uscc"] == BANKS["bank-hangzhou"].uscc
    assert request.payload["performance_deadline"] == response.json()["maturity_date"]
    again = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
    assert (again.status_code, again.json()["code"]) == (409, "loan.not_offered")

    await publish(credit.bus, PLEDGES_TOPIC, pledge_registered(loan_id))
    disbursed = await reaches(credit, loan_id, "disbursed")
    assert disbursed["pledge_registration_number"] == "Y2026000001"
    assert disbursed["disbursed_at"] is not None
    [paid] = await eventually(lambda: loan_events(credit, loan_id, "credit.loan.disbursed"))
    assert paid.payload["amount"] == "300000.00"


async def test_a_redelivered_valuation_decides_the_loan_once(credit: Running) -> None:
    loan_id = await submit(credit)
    later_loan_id = await submit(credit)
    valuation = valuation_completed(loan_id)
    await publish(credit.bus, VALUATIONS_TOPIC, valuation)
    await reaches(credit, loan_id, "offered")
    await publish(credit.bus, VALUATIONS_TOPIC, valuation)
    await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(later_loan_id), key=loan_id)

    await reaches(credit, later_loan_id, "offered")
    await eventually(lambda: loan_events(credit, later_loan_id, "credit.loan.decided"))
    assert len(loan_events(credit, loan_id, "credit.loan.decided")) == 1
    assert credit.handled("credit.valuations") == 2
    assert (await loan(credit, loan_id))["approved_amount"] == "300000.00"


async def test_a_registration_before_acceptance_does_not_disburse(credit: Running) -> None:
    loan_id = await offered(credit)
    handled = credit.handled("credit.pledges")
    await publish(credit.bus, PLEDGES_TOPIC, pledge_registered(loan_id))

    await eventually(lambda: credit.handled("credit.pledges") > handled)
    current = await loan(credit, loan_id)
    assert current["status"] == "offered"
    assert current["disbursed_at"] is None
    assert loan_events(credit, loan_id, "credit.loan.disbursed") == []
    response = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
    assert response.json()["status"] == "pledge_filed"


async def test_a_pledge_for_another_pledgee_is_dead_lettered(credit: Running) -> None:
    loan_id = await pledge_filed(credit)
    foreign = pledge_registered(loan_id, pledgee_uscc=BANKS["bank-qingdao"].uscc)
    await publish(credit.bus, PLEDGES_TOPIC, foreign)

    [dead] = await eventually(lambda: credit.dead_letters(DLQ_PLEDGES))
    assert Envelope.from_json(dead.value).event_id == foreign.event_id
    assert dead.header("dlq.consumer") == "credit.pledges"
    assert dead.header("dlq.reason") == "pledge.mismatch"
    assert "does not secure this loan" in (dead.header("dlq.detail") or "")
    current = await loan(credit, loan_id)
    assert current["status"] == "pledge_filed"
    assert current["disbursed_at"] is None
    assert current["pledge_registration_number"] is None
    assert loan_events(credit, loan_id, "credit.loan.disbursed") == []


async def test_an_offer_cannot_be_accepted_before_the_decision(credit: Running) -> None:
    loan_id = await submit(credit)
    response = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
    assert (response.status_code, response.json()["code"]) == (409, "loan.not_offered")
    assert (await loan(credit, loan_id))["status"] == "awaiting_valuation"
