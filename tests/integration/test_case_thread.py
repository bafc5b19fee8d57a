"""A loan whose pledge goes through the examiner's desk, with registry and credit in one process
on one in-memory bus: the case keeps its correlation id, and the loan shows what the desk did."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.credit.app import create_app as create_credit
from services.credit.settings import CreditSettings
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from shared.bus.memory import InMemoryBus
from shared.envelope import Envelope
from tests.conftest import MakeDatabase
from tests.credentials import ActingAs
from tests.integration.conftest import Running, eventually, publish
from tests.integration.test_credit_service import (
    ENTERPRISE_USCC,
    HANGZHOU,
    LOANS_TOPIC,
    PATENT,
    PLEDGES_TOPIC,
    VALUATIONS_TOPIC,
    application,
    reaches,
    valuation_completed,
)

pytestmark = pytest.mark.postgres

CASE = "case-examined-loan"
DESK = "/internal/v1/examination"


@dataclass
class Services:
    registry: Running
    credit: Running

    def case_events(self, loan_id: str, filing_id: str) -> list[Envelope]:
        found = self.credit.events(LOANS_TOPIC) + self.registry.events(PLEDGES_TOPIC)
        return [e for e in found if e.aggregate_id in (loan_id, filing_id)]


@pytest.fixture
async def services(make_database: MakeDatabase) -> AsyncIterator[Services]:
    bus = InMemoryBus()
    common: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": "memory://",
        "http_port": 0,
        "outbox_poll_interval": 0.05,
    }
    registry_url = await make_database("registry")
    credit_url = await make_database("credit")
    apps = {
        "registry": create_registry(RegistrySettings(database_url=registry_url, **common), bus=bus),
        "credit": create_credit(
            CreditSettings(database_url=credit_url, sweep_interval=3600, **common), bus=bus
        ),
    }
    async with AsyncExitStack() as stack:
        running = {}
        for name, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://test", auth=ActingAs()
                )
            )
            running[name] = Running(app, bus, client)
        yield Services(running["registry"], running["credit"])


async def enter_patent(registry: Running) -> None:
    body = {
        "number": PATENT,
        "title": "Lens assembly with adaptive focus",
        "holders": [{"name": "Hangzhou Lens Optics Co., Ltd.", "uscc": ENTERPRISE_USCC}],
        "filing_date": "2019-03-01",
        "grant_date": "2021-05-10",
        "legal_status": "valid",
        "fees_paid_through": (date.today() + timedelta(days=730)).isoformat(),
        "invalidation_pending": True,
    }
    response = await registry.client.put(f"/internal/v1/patents/{PATENT}", json=body)
    assert response.status_code == 200, response.text


async def filed_for_examination(services: Services) -> tuple[str, str]:
    """A loan applied for under CASE, offered, accepted; its filing queued at the desk."""
    credit, registry = services.credit, services.registry
    await enter_patent(registry)
    created = await credit.client.post(
        "/v1/loan-applications",
        json=application(),
        headers={**HANGZHOU, "X-Correlation-Id": CASE},
    )
    assert created.status_code == 201, created.text
    loan_id = created.json()["loan_id"]
    await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(loan_id))
    await reaches(credit, loan_id, "offered")
    accepted = await credit.client.post(
        f"/v1/loans/{loan_id}/offer/accept",
        headers={**HANGZHOU, "X-Correlation-Id": "bank-desk-session"},
    )
    assert accepted.status_code == 200, accepted.text
    [queued] = await eventually(
        lambda: [
            e
            for e in registry.events(PLEDGES_TOPIC, "registry.filing.queued_for_examination")
            if e.payload["filing_reference"] == loan_id
        ]
    )
    return loan_id, queued.aggregate_id


async def at_the_desk(
    registry: Running, filing_id: str, action: str, body: Any = None
) -> dict[str, Any]:
    headers = {"X-Examiner-Id": "exa", "X-Correlation-Id": f"desk-{action}"}
    url = f"{DESK}/filings/{filing_id}/{action}"
    response = await registry.client.post(url, json=body, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_an_examined_loan_keeps_its_case_to_disbursement(services: Services) -> None:
    loan_id, filing_id = await filed_for_examination(services)
    registry, credit = services.registry, services.credit

    await at_the_desk(registry, filing_id, "claim")
    await at_the_desk(
        registry,
        filing_id,
        "request-correction",
        {"fields": ["scope_of_guarantee"], "message": "State the scope in full."},
    )
    desk_view = (
        await registry.client.get(f"{DESK}/filings/{filing_id}", headers={"X-Examiner-Id": "exa"})
    ).json()
    corrected = await registry.client.post(
        f"/v1/pledge-filings/{filing_id}/correction",
        json={
            "pledgor": desk_view["pledgor"],
            "pledgee": desk_view["pledgee"],
            "debt_type": desk_view["debt_type"],
            "secured_amount": desk_view["secured_amount"],
            "performance_deadline": desk_view["performance_deadline"],
            "patents": desk_view["patents"],
            "scope_of_guarantee": "principal, interest, default interest and enforcement costs",
        },
        headers={**HANGZHOU, "X-Correlation-Id": "bank-correction"},
    )
    assert corrected.status_code == 200, corrected.text
    note = "Pledgor and bank confirmed by signed letters that they proceed."
    body = {"codes": ["patent.invalidation_pending"], "note": note}
    await at_the_desk(registry, filing_id, "acknowledge", body)
    await at_the_desk(registry, filing_id, "register")

    loan = await reaches(credit, loan_id, "disbursed")
    assert loan["pledge_filing_id"] == filing_id
    assert loan["pledge_refusal_grounds"] == []
    await eventually(lambda: credit.events(LOANS_TOPIC, "credit.loan.disbursed"))
    case = services.case_events(loan_id, filing_id)
    assert {e.event_type for e in case} >= {
        "registry.filing.received",
        "registry.filing.queued_for_examination",
        "registry.filing.claimed",
        "registry.filing.correction_requested",
        "registry.filing.corrected",
        "registry.filing.warnings_acknowledged",
        "registry.pledge.registered",
        "credit.loan.disbursed",
    }
    assert {e.correlation_id for e in case} == {CASE}


async def test_a_refused_loan_shows_its_filing_and_each_ground(services: Services) -> None:
    loan_id, filing_id = await filed_for_examination(services)
    registry, credit = services.registry, services.credit
    reasons = [
        {"code": "patent.invalidation_pending", "message": "The parties did not confirm."},
        {"code": "other", "message": "The pledge contract is not signed by the pledgor."},
    ]

    await at_the_desk(registry, filing_id, "claim")
    await at_the_desk(registry, filing_id, "refuse", {"reasons": reasons})

    loan = await reaches(credit, loan_id, "offer_withdrawn")
    assert loan["withdrawal_reason"] == "pledge.refused"
    assert loan["pledge_filing_id"] == filing_id
    assert loan["pledge_refusal_grounds"] == [r | {"right": None} for r in reasons]
    withdrawn = await eventually(
        lambda: [
            e
            for e in credit.events(LOANS_TOPIC, "credit.offer.withdrawn")
            if e.aggregate_id == loan_id
        ]
    )
    assert [e.correlation_id for e in withdrawn] == [CASE]
