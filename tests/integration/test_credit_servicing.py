"""Repayment, pledge release, default with claims, impairment and sign-off, on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.credit.adapters.orm import metadata, repayments
from shared.envelope import Envelope
from shared.kernel.clock import ManualClock
from tests.conftest import MakeDatabase
from tests.dates import now
from tests.integration.conftest import Running, envelope, eventually, publish
from tests.integration.test_credit_service import (
    HANGZHOU,
    LOANS_TOPIC,
    PATENT,
    PLEDGES_TOPIC,
    VALUATIONS_TOPIC,
    credit_service,
    disbursed,
    loan,
    loan_events,
    reaches,
    submit,
    valuation_completed,
)

pytestmark = pytest.mark.postgres

START = now()


@pytest.fixture
async def credit(make_database: MakeDatabase) -> AsyncIterator[Running]:
    url = await make_database("credit")
    async with credit_service(url, ManualClock(START)) as service:
        yield service


async def announced(
    credit: Running, loan_id: str, event_type: str, count: int = 1
) -> list[Envelope]:
    found = await eventually(
        lambda: (events := loan_events(credit, loan_id, event_type)) and len(events) >= count
    )
    assert found
    return loan_events(credit, loan_id, event_type)


def keyed(key: str | None = None) -> dict[str, str]:
    """The bank's headers with an Idempotency-Key (a fresh one unless given)."""
    return HANGZHOU | {"Idempotency-Key": key or str(uuid.uuid4())}


async def repay(
    credit: Running, loan_id: str, amount: str, key: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = keyed(key)
    body = {"amount": amount, "paid_at": START.isoformat()}
    response = await credit.client.post(
        f"/v1/loans/{loan_id}/repayments", json=body, headers=headers
    )
    return response.status_code, dict(response.json())


def pledge_cancelled(loan_id: str, number: str = "Y2026000001") -> Envelope:
    payload = {
        "registration_number": number,
        "filing_reference": loan_id,
        "reason": "debt_repaid",
        "cancelled_at": (START + timedelta(hours=3)).isoformat(),
    }
    return envelope("registry.pledge.cancelled", str(uuid.uuid4()), payload)


async def test_repaying_to_zero_releases_the_pledge_and_its_cancellation_closes_the_loan(
    credit: Running,
) -> None:
    loan_id = await disbursed(credit)
    status, partial = await repay(credit, loan_id, "100000.00")
    assert (status, partial["status"], partial["outstanding_principal"]) == (
        201,
        "repaying",
        "200000.00",
    )
    status, problem = await repay(credit, loan_id, "200000.01")
    assert (status, problem["code"]) == (422, "repayment.exceeds_outstanding")

    status, repaid = await repay(credit, loan_id, "200000.00")
    assert (status, repaid["status"], repaid["outstanding_principal"]) == (201, "repaid", "0.00")
    assert [r["outstanding_after"] for r in repaid["repayments"]] == ["200000.00", "0.00"]
    [release] = await announced(credit, loan_id, "credit.pledge_release.requested")
    assert {k: release.payload[k] for k in ("loan_id", "registration_number", "reason")} == {
        "loan_id": loan_id,
        "registration_number": "Y2026000001",
        "reason": "debt_repaid",
    }
    assert datetime.fromisoformat(release.payload["requested_at"]) == START
    [done] = await announced(credit, loan_id, "credit.loan.repaid")
    assert done.payload["amount"] == "300000.00"

    await publish(credit.bus, PLEDGES_TOPIC, pledge_cancelled(loan_id))
    closed = await reaches(credit, loan_id, "closed")
    assert datetime.fromisoformat(closed["pledge_released_at"]) == START + timedelta(hours=3)
    [released] = await announced(credit, loan_id, "credit.pledge.released")
    assert released.payload["registration_number"] == "Y2026000001"
    again = await repay(credit, loan_id, "1.00")
    assert again[0] == 409 and again[1]["code"] == "loan.not_live"


async def test_a_retried_repayment_with_the_same_key_is_recorded_once(credit: Running) -> None:
    loan_id = await disbursed(credit)
    first = await repay(credit, loan_id, "50000.00", key="pay-1")
    retry = await repay(credit, loan_id, "50000.00", key="pay-1")
    assert (first[0], retry[0]) == (201, 201)
    assert retry[1]["outstanding_principal"] == "250000.00"
    assert await credit.count(repayments) == 1
    reused = await repay(credit, loan_id, "60000.00", key="pay-1")
    assert (reused[0], reused[1]["code"]) == (422, "idempotency.key_reused")
    assert len(await announced(credit, loan_id, "credit.repayment.received")) == 1


async def test_money_moves_only_with_an_idempotency_key(credit: Running) -> None:
    loan_id = await disbursed(credit)
    repayment = {"amount": "50000.00", "paid_at": START.isoformat()}
    default = {"declared_at": START.isoformat(), "recovered_amount": "0.00"}
    url = f"/v1/loans/{loan_id}"

    twice = [
        await credit.client.post(f"{url}/repayments", json=repayment, headers=HANGZHOU)
        for _ in range(2)
    ]
    declared = await credit.client.post(f"{url}/default", json=default, headers=HANGZHOU)

    for refused in [*twice, declared]:
        assert (refused.status_code, refused.json()["code"]) == (428, "idempotency.key_required")
        assert refused.headers["content-type"] == "application/problem+json"
    assert await credit.count(repayments) == 0
    now = await loan(credit, loan_id)
    assert (now["status"], now["outstanding_principal"]) == ("disbursed", "300000.00")
    outbox = metadata.tables["outbox"]
    moved = outbox.c.event_type.in_(["credit.repayment.received", "credit.loan.defaulted"])
    assert await credit.count(outbox, moved) == 0


async def test_a_retried_default_with_the_same_key_raises_its_claims_once(
    credit: Running,
) -> None:
    loan_id = await disbursed(credit, programme="qingdao-60-20-20")
    body = {"declared_at": START.isoformat(), "recovered_amount": "100000.00"}
    headers = keyed("default-1")
    first = await credit.client.post(f"/v1/loans/{loan_id}/default", json=body, headers=headers)
    retry = await credit.client.post(f"/v1/loans/{loan_id}/default", json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["loss"] == first.json()["loss"] == "200000.00"
    await announced(credit, loan_id, "credit.claim.raised", 3)
    assert len(loan_events(credit, loan_id, "credit.loan.defaulted")) == 1
    assert len(loan_events(credit, loan_id, "credit.claim.raised")) == 3


async def test_a_default_shares_the_loss_between_the_programme_parties(credit: Running) -> None:
    loan_id = await disbursed(credit, programme="qingdao-60-20-20")
    [paid] = await announced(credit, loan_id, "credit.loan.disbursed")
    assert (paid.payload["programme"], paid.payload["insurance_premium"]) == (
        "qingdao-60-20-20",
        "6000.00",
    )
    assert (await repay(credit, loan_id, "0.03"))[0] == 201
    body = {"declared_at": START.isoformat(), "recovered_amount": "100000.00"}
    response = await credit.client.post(f"/v1/loans/{loan_id}/default", json=body, headers=keyed())
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["loss"]) == ("defaulted", "199999.97")

    [defaulted] = await announced(credit, loan_id, "credit.loan.defaulted")
    assert defaulted.payload["loss"] == "199999.97"
    claims = await announced(credit, loan_id, "credit.claim.raised", 3)
    amounts = {c.payload["party"]: Decimal(c.payload["amount"]) for c in claims}
    assert amounts == {
        "insurer": Decimal("119999.99"),
        "bank": Decimal("39999.99"),
        "guarantor": Decimal("39999.99"),
    }
    assert sum(amounts.values()) == Decimal(defaulted.payload["loss"])
    assert {c.payload["share"] for c in claims} == {"0.60", "0.20"}
    assert [c["amount"] for c in response.json()["claims"]] == ["119999.99", "39999.99", "39999.99"]


async def test_a_default_cannot_recover_more_than_is_outstanding(credit: Running) -> None:
    loan_id = await disbursed(credit)
    body = {"declared_at": START.isoformat(), "recovered_amount": "300000.01"}
    response = await credit.client.post(f"/v1/loans/{loan_id}/default", json=body, headers=keyed())
    assert (response.status_code, response.json()["code"]) == (
        422,
        "default.recovery_exceeds_outstanding",
    )
    assert (await loan(credit, loan_id))["status"] == "disbursed"


def impaired(loan_id: str, new_central: str) -> Envelope:
    payload = {
        "loan_reference": loan_id,
        "right_number": PATENT,
        "reason": "right.term_ending",
        "previous_central": "1000000.00",
        "new_central": new_central,
        "valuation_id": str(uuid.uuid4()),
        "detected_at": START.isoformat(),
        "previous_right_central": "1000000.00",
        "new_right_central": new_central,
    }
    return envelope("valuation.impaired", payload["valuation_id"], payload)


async def test_an_impaired_right_raises_a_risk_alert_for_a_live_loan(credit: Running) -> None:
    loan_id = await disbursed(credit)
    await publish(credit.bus, VALUATIONS_TOPIC, impaired(loan_id, "450000.00"))
    [alert] = await announced(credit, loan_id, "credit.risk_alert.raised")
    assert {k: alert.payload[k] for k in ("bank_id", "right_number", "new_central")} == {
        "bank_id": "bank-hangzhou",
        "right_number": PATENT,
        "new_central": "450000.00",
    }
    assert (alert.payload["coverage_ratio"], alert.payload["suggested_action"]) == (
        "1.5000",
        "top_up_collateral",
    )
    assert (await loan(credit, loan_id))["collateral_value"] == "450000.00"

    waiting = await submit(credit)
    handled = credit.handled("credit.valuations")
    await publish(credit.bus, VALUATIONS_TOPIC, impaired(waiting, "1.00"))
    await eventually(lambda: credit.handled("credit.valuations") > handled)
    assert loan_events(credit, waiting, "credit.risk_alert.raised") == []


def signed_off(loan_id: str, valuation_id: str, central: str, outcome: str) -> Envelope:
    right = {"number": PATENT, "kind": "invention", "central": central, "zero_reason": None}
    payload = {
        "valuation_id": valuation_id,
        "reference": loan_id,
        "requested_by": "credit",
        "outcome": outcome,
        "low": central,
        "central": central,
        "high": central,
        "rights": [right],
        "appraiser_id": "appraiser-3",
        "reason": "comparable licences",
        "signed_off_at": START.isoformat(),
    }
    return envelope("valuation.signed_off", valuation_id, payload)


async def test_credit_decides_only_on_a_signed_off_valuation(credit: Running) -> None:
    loan_id = await submit(credit)
    provisional = valuation_completed(loan_id, central="8000000.00", status="provisional")
    await publish(credit.bus, VALUATIONS_TOPIC, provisional)
    waiting = await reaches(credit, loan_id, "awaiting_signoff")
    assert waiting["approved_amount"] is None
    assert loan_events(credit, loan_id, "credit.loan.decided") == []

    valuation_id = provisional.payload["valuation_id"]
    await publish(
        credit.bus, VALUATIONS_TOPIC, signed_off(loan_id, valuation_id, "1500000.00", "adjusted")
    )
    decided = await reaches(credit, loan_id, "offered")
    assert decided["approved_amount"] == "450000.00"
    assert decided["decision_inputs"]["valuation_id"] == valuation_id
    [event] = await announced(credit, loan_id, "credit.loan.decided")
    assert event.payload["appraised_value"] == "1500000.00"
    assert len(credit.events(LOANS_TOPIC, "credit.loan.awaiting_signoff")) == 1
