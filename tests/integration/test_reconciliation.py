"""Reconciliation with registry and credit on one bus, each on its own PostgreSQL database:
credit reads the registry's pledges through its internal API only. Every kind of mismatch,
made behind credit's back, is reported, announced and counted; clean flows report none."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.credit.adapters.reconciliation import HttpPledgeRegister
from services.credit.app import create_app as create_credit
from services.credit.settings import CreditSettings
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from shared.bus.memory import InMemoryBus
from shared.envelope import Envelope
from shared.topics import CREDIT_LOANS, RECONCILIATION
from tests.conftest import MakeDatabase
from tests.credentials import ISSUER, ActingAs
from tests.integration.conftest import Running, envelope, eventually, publish
from tests.integration.test_credit_service import (
    BANKS,
    HANGZHOU,
    VALUATIONS_TOPIC,
    application,
    reaches,
)
from tests.unit.registry_harness import PLEDGOR, put_patent

pytestmark = pytest.mark.postgres

RUNS = "/internal/v1/reconciliation/runs"
HANGZHOU_USCC = BANKS["bank-hangzhou"].uscc


@dataclass
class Services:
    registry: Running
    credit: Running


@pytest.fixture
async def services(make_database: MakeDatabase) -> AsyncIterator[Services]:
    bus = InMemoryBus()
    common: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": "memory://",
        "http_port": 0,
        "outbox_poll_interval": 0.05,
    }
    registry = create_registry(
        RegistrySettings(database_url=await make_database("registry"), **common), bus=bus
    )
    register = HttpPledgeRegister(
        "http://registry", ISSUER, transport=httpx.ASGITransport(app=registry)
    )
    credit = create_credit(
        CreditSettings(
            database_url=await make_database("credit"),
            sweep_interval=3600,
            reconciliation_grace_seconds=0,
            **common,
        ),
        bus=bus,
        pledge_register=register,
    )
    async with AsyncExitStack() as stack:
        running = []
        for app in (registry, credit):
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://test", auth=ActingAs()
                )
            )
            running.append(Running(app, bus, client))
        yield Services(*running)


def valued(loan_id: str, patent: str) -> Envelope:
    valuation_id = str(uuid.uuid4())
    right = {"number": patent, "kind": "invention", "central": "1000000.00", "zero_reason": None}
    payload = {
        "valuation_id": valuation_id,
        "reference": loan_id,
        "requested_by": "credit",
        "rights": [right | {"low": "800000.00", "high": "1200000.00"}],
        "central": "1000000.00",
        "parameters_version": "2026.1",
    }
    return envelope("valuation.completed", valuation_id, payload)


async def disbursed(services: Services) -> dict[str, Any]:
    """One loan through the whole flow: valued, offered, accepted, pledged, disbursed."""
    credit = services.credit
    patent = await put_patent(services.registry, fees_paid_through="2036-12-31")
    body = application(collateral=[{"right_type": "patent", "number": f"CN{patent}"}])
    created = await credit.client.post("/v1/loan-applications", json=body, headers=HANGZHOU)
    assert created.status_code == 201, created.text
    loan_id = created.json()["loan_id"]
    await publish(credit.bus, VALUATIONS_TOPIC, valued(loan_id, patent))
    await reaches(credit, loan_id, "offered")
    accepted = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
    assert accepted.status_code == 200, accepted.text
    return await reaches(credit, loan_id, "disbursed")


async def reconciled(credit: Running) -> dict[str, Any]:
    response = await credit.client.post(RUNS)
    assert response.status_code == 200, response.text
    return dict(response.json())


def announced(credit: Running, run_id: str) -> list[Envelope]:
    return [e for e in credit.events(RECONCILIATION) if e.payload["run_id"] == run_id]


async def on_database(service: Running, statement: str, **values: Any) -> None:
    async with service.runtime.engine.begin() as connection:
        await connection.execute(text(statement), values)


async def test_flows_that_went_through_reconcile_clean(services: Services) -> None:
    loans = [await disbursed(services) for _ in range(12)]

    run = await reconciled(services.credit)

    assert run["mismatches"] == []
    assert run["trigger"] == "operator"
    assert run["loans_checked"] == len(loans)
    assert run["pledges_checked"] == len(loans)
    [completed] = await eventually(lambda: announced(services.credit, run["run_id"]))
    assert completed.event_type == "credit.reconciliation.completed"
    assert completed.payload["mismatches"] == 0
    latest = await services.credit.client.get(f"{RUNS}/latest")
    assert latest.json()["run_id"] == run["run_id"]
    exposition = (await services.credit.client.get("/metrics")).text
    assert 'pledgeflow_reconciliation_runs_total{outcome="clean"} 1.0' in exposition


async def test_every_kind_of_mismatch_is_reported_announced_and_counted(
    services: Services,
) -> None:
    registry, credit = services.registry, services.credit
    cancelled, changed, early, relabelled, missing, fine = [
        await disbursed(services) for _ in range(6)
    ]
    bank = {"X-Bank-Id": "bank-hangzhou"}
    number = cancelled["pledge_registration_number"]
    response = await registry.client.post(
        f"/v1/pledges/{number}/cancellation", json={"reason": "pledgee_waived"}, headers=bank
    )
    assert response.status_code == 200, response.text
    number = changed["pledge_registration_number"]
    response = await registry.client.post(
        f"/v1/pledges/{number}/changes", json={"secured_amount": "1.00"}, headers=bank
    )
    assert response.status_code == 200, response.text
    stray = str(uuid.uuid4())
    patent = await put_patent(registry, fees_paid_through="2036-12-31")
    await publish(registry.bus, CREDIT_LOANS, filing_for_no_loan(stray, patent))
    await eventually(lambda: pledge_of(registry, stray))
    await on_database(
        credit,
        "UPDATE loans SET disbursed_at = disbursed_at - interval '1 hour' WHERE loan_id = :id",
        id=early["loan_id"],
    )
    await on_database(
        credit,
        "UPDATE loans SET collateral = CAST(:c AS json) WHERE loan_id = :id",
        c='[{"right_type": "patent", "number": "201910000099.0"}]',
        id=relabelled["loan_id"],
    )
    await on_database(
        credit,
        "UPDATE loans SET pledge_registration_number = 'Y2099000001' WHERE loan_id = :id",
        id=missing["loan_id"],
    )
    await on_database(
        credit, "UPDATE bank_quotas SET consumed = consumed + 5 WHERE bank_id = 'bank-hangzhou'"
    )

    run = await reconciled(credit)

    found = {(m["reason"], m["loan_id"]) for m in run["mismatches"]}
    assert found == {
        ("pledge.cancelled", cancelled["loan_id"]),
        ("pledge.amount_differs", changed["loan_id"]),
        ("pledge.without_live_loan", stray),
        ("loan.disbursed_before_registration", early["loan_id"]),
        ("pledge.rights_differ", relabelled["loan_id"]),
        ("pledge.missing", missing["loan_id"]),
        ("pledge.without_live_loan", missing["loan_id"]),
        ("quota.consumed_differs", None),
    }
    assert fine["loan_id"] not in {loan_id for _, loan_id in found}
    events = await eventually(
        lambda: (
            len(announced(credit, run["run_id"])) == len(found) + 1
            and announced(credit, run["run_id"])
        )
    )
    reasons = sorted(e.payload["reason"] for e in events if e.event_type.endswith("mismatch_found"))
    assert reasons == sorted(reason for reason, _ in found)
    latest = (await credit.client.get(f"{RUNS}/latest")).json()
    assert {(m["reason"], m["loan_id"]) for m in latest["mismatches"]} == found
    exposition = (await credit.client.get("/metrics")).text
    assert 'pledgeflow_reconciliation_mismatches_total{reason="pledge.cancelled"} 1.0' in (
        exposition
    )
    assert 'pledgeflow_reconciliation_runs_total{outcome="mismatches"} 1.0' in exposition


async def test_a_pledge_handed_to_another_pledgee_is_reported(services: Services) -> None:
    loan = await disbursed(services)
    number = loan["pledge_registration_number"]
    other = {"name": "Qingdao Bank", "uscc": BANKS["bank-qingdao"].uscc, "address": "Qingdao"}
    response = await services.registry.client.post(
        f"/v1/pledges/{number}/changes",
        json={"pledgee": other},
        headers={"X-Bank-Id": "bank-hangzhou"},
    )
    assert response.status_code == 200, response.text

    run = await reconciled(services.credit)

    assert [(m["reason"], m["loan_id"]) for m in run["mismatches"]] == [
        ("pledge.pledgee_differs", loan["loan_id"])
    ]


def filing_for_no_loan(loan_id: str, patent: str) -> Envelope:
    """A filing on credit's channel for a loan credit never made."""
    payload = {
        "loan_id": loan_id,
        "filing_reference": loan_id,
        "pledgor": PLEDGOR,
        "pledgee": {"name": "Bank", "uscc": HANGZHOU_USCC, "address": "Hangzhou"},
        "debt_type": "loan",
        "secured_amount": "500000.00",
        "performance_deadline": "2030-06-30",
        "patents": [patent],
        "trademarks": [],
        "scope_of_guarantee": "principal and interest",
        "requested_at": "2026-11-30T02:00:00+00:00",
    }
    return envelope("credit.pledge_filing.requested", loan_id, payload)


async def pledge_of(registry: Running, loan_id: str) -> bool:
    found = registry.events("pledgeflow.registry.pledges", "registry.pledge.registered")
    return any(e.payload["filing_reference"] == loan_id for e in found)
