"""Registered pledges on PostgreSQL: changes, cancellations, releases by credit, recordals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from services.registry.adapters.orm import pledged_rights
from services.registry.app import create_app
from services.registry.domain.events import PLEDGES_TOPIC, RIGHTS_TOPIC
from services.registry.settings import RegistrySettings
from shared.identifiers import make_uscc
from tests.conftest import MakeDatabase
from tests.dates import days_from_today, now
from tests.integration.conftest import Running, envelope, eventually, publish, running
from tests.integration.test_registry_service import (
    LOANS_TOPIC,
    PLEDGOR,
    STRANGER,
    TERM_END,
    file,
    filing,
    new_patent_number,
    put_patent,
)

pytestmark = pytest.mark.postgres

ASSIGNEE = {"name": "Suzhou Optics Holdings Co., Ltd.", "uscc": make_uscc(9)}
DLQ = "pledgeflow.dlq.registry.filings"


@pytest.fixture
async def registry(make_database: MakeDatabase) -> AsyncIterator[Running]:
    url = await make_database("registry")
    settings = RegistrySettings(
        environment="test",
        database_url=url,
        kafka_bootstrap_servers="memory://",
        http_port=0,
        outbox_poll_interval=0.05,
    )
    async with running(create_app, settings) as service:
        yield service


async def registered(service: Running, **patent: Any) -> tuple[str, dict[str, Any]]:
    number = await put_patent(service, **patent)
    response = await file(service, filing(number))
    filed = response.json()
    assert filed["status"] == "registered", response.text
    return number, filed


async def change(service: Running, registration: str, body: dict[str, Any]) -> Any:
    return await service.client.post(f"/v1/pledges/{registration}/changes", json=body)


async def cancel(service: Running, registration: str, reason: str) -> Any:
    url = f"/v1/pledges/{registration}/cancellation"
    return await service.client.post(url, json={"reason": reason})


async def events_of(service: Running, event_type: str, count: int = 1) -> list[Any]:
    await eventually(lambda: len(service.events(PLEDGES_TOPIC, event_type)) >= count)
    return service.events(PLEDGES_TOPIC, event_type)


async def test_a_change_replaces_the_amount_and_the_deadline(registry: Running) -> None:
    _, filed = await registered(registry)
    number = filed["registration_number"]
    later = days_from_today(700).isoformat()

    response = await change(
        registry, number, {"secured_amount": "450000.00", "performance_deadline": later}
    )

    assert response.status_code == 200, response.text
    pledge = response.json()
    assert (pledge["secured_amount"], pledge["performance_deadline"]) == ("450000.00", later)
    assert pledge["status"] == "active"
    assert [(a["kind"], a["changed"]) for a in pledge["amendments"]] == [
        ("change", ["secured_amount", "performance_deadline"])
    ]
    assert (await registry.client.get(f"/v1/pledges/{number}")).json() == pledge
    [event] = await events_of(registry, "registry.pledge.changed")
    assert event.aggregate_id == filed["filing_id"]
    assert event.payload["changed"] == ["secured_amount", "performance_deadline"]
    assert (event.payload["secured_amount"], event.payload["performance_deadline"]) == (
        "450000.00",
        later,
    )


async def test_a_deadline_past_the_rights_term_is_refused(registry: Running) -> None:
    _, filed = await registered(registry)
    number = filed["registration_number"]
    beyond = (TERM_END + timedelta(days=1)).isoformat()

    response = await change(registry, number, {"performance_deadline": beyond})

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "change.refused"
    assert [e["code"] for e in problem["errors"]] == ["deadline.beyond_term"]
    current = (await registry.client.get(f"/v1/pledges/{number}")).json()
    assert current["performance_deadline"] != beyond
    assert current["amendments"] == []
    assert registry.events(PLEDGES_TOPIC, "registry.pledge.changed") == []


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, "request.invalid"), ({"secured_amount": "300000.00"}, "change.nothing_changed")],
    ids=["empty", "same-terms"],
)
async def test_a_change_must_change_something(
    registry: Running, body: dict[str, Any], code: str
) -> None:
    _, filed = await registered(registry)
    response = await change(registry, filed["registration_number"], body)
    assert (response.status_code, response.json()["code"]) == (422, code)


async def test_a_new_pledgor_must_hold_the_rights(registry: Running) -> None:
    patent, filed = await registered(registry)
    number = filed["registration_number"]
    new_pledgor = ASSIGNEE | {"address": "8 Renmin Road, Suzhou"}

    refused = await change(registry, number, {"pledgor": new_pledgor})
    transfer = await registry.client.post(
        f"/internal/v1/patents/{patent}/transfers",
        json={"assignees": [ASSIGNEE], "pledgee_consent": True},
    )
    accepted = await change(registry, number, {"pledgor": new_pledgor})

    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["errors"]] == ["pledgor.not_patentee"]
    assert transfer.status_code == 201, transfer.text
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["pledgor"]["uscc"] == ASSIGNEE["uscc"]
    [event] = await events_of(registry, "registry.pledge.changed")
    assert event.payload["changed"] == ["pledgor"]


async def test_a_cancellation_ends_the_pledge_and_frees_its_rights(registry: Running) -> None:
    patent, filed = await registered(registry)
    number = filed["registration_number"]

    response = await cancel(registry, number, "pledgee_waived")

    assert response.status_code == 200, response.text
    pledge = response.json()
    assert (pledge["status"], pledge["cancellation_reason"]) == ("cancelled", "pledgee_waived")
    assert await registry.count(pledged_rights, pledged_rights.c.right_number == patent) == 0
    filing_now = (await registry.client.get(f"/v1/pledge-filings/{filed['filing_id']}")).json()
    assert filing_now["status"] == "cancelled"
    [event] = await events_of(registry, "registry.pledge.cancelled")
    assert set(event.payload) == {
        "registration_number",
        "filing_id",
        "filing_reference",
        "reason",
        "patents",
        "trademarks",
        "pledgor",
        "pledgee",
        "cancelled_at",
    }
    assert (event.payload["registration_number"], event.payload["reason"]) == (
        number,
        "pledgee_waived",
    )
    assert event.payload["patents"] == [patent]
    assert event.payload["pledgor"]["uscc"] == PLEDGOR["uscc"]
    cancelled_again = await cancel(registry, number, "debt_repaid")
    changed_after = await change(registry, number, {"secured_amount": "1.00"})
    for refused in (cancelled_again, changed_after):
        assert (refused.status_code, refused.json()["code"]) == (409, "pledge.not_active")


async def test_a_cancelled_pledge_frees_the_right_for_a_new_pledge(registry: Running) -> None:
    patent, filed = await registered(registry)
    blocked = (await file(registry, filing(patent))).json()
    await cancel(registry, filed["registration_number"], "debt_repaid")

    again = (await file(registry, filing(patent))).json()

    assert [f["code"] for f in blocked["findings"]] == ["right.already_pledged"]
    assert again["status"] == "registered"
    assert again["registration_number"] != filed["registration_number"]
    rows = await registry.rows(pledged_rights, pledged_rights.c.right_number == patent)
    assert [row["registration_number"] for row in rows] == [again["registration_number"]]


async def test_unknown_pledges_and_reasons_are_rejected(registry: Running) -> None:
    _, filed = await registered(registry)
    unknown = await cancel(registry, "Y2026999999", "debt_repaid")
    bad_reason = await cancel(registry, filed["registration_number"], "bank_forgot")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "pledge.not_found")
    assert (bad_reason.status_code, bad_reason.json()["code"]) == (422, "request.invalid")


async def credit_pledge(service: Running, loan_id: str) -> dict[str, Any]:
    patent = await put_patent(service)
    payload = filing(patent) | {"loan_id": loan_id, "filing_reference": loan_id, "trademarks": []}
    await publish(
        service.bus, LOANS_TOPIC, envelope("credit.pledge_filing.requested", loan_id, payload)
    )
    events = await eventually(
        lambda: [
            e
            for e in service.events(PLEDGES_TOPIC, "registry.pledge.registered")
            if e.payload["filing_reference"] == loan_id
        ]
    )
    return dict(events[0].payload)


def release(loan_id: str, registration_number: str) -> Any:
    payload = {
        "loan_id": loan_id,
        "registration_number": registration_number,
        "reason": "debt_repaid",
        "requested_at": now().isoformat(),
    }
    return envelope("credit.pledge_release.requested", loan_id, payload)


async def test_a_release_requested_by_credit_cancels_the_pledge_once(registry: Running) -> None:
    registered_pledge = await credit_pledge(registry, "loan-42")
    number = registered_pledge["registration_number"]
    first = release("loan-42", number)

    await publish(registry.bus, LOANS_TOPIC, first)
    await publish(registry.bus, LOANS_TOPIC, first)
    await publish(registry.bus, LOANS_TOPIC, release("loan-42", number))
    await eventually(lambda: registry.handled("registry.filings") >= 3)

    [cancelled] = await events_of(registry, "registry.pledge.cancelled")
    assert cancelled.payload["reason"] == "debt_repaid"
    assert cancelled.payload["filing_reference"] == "loan-42"
    [registered] = await events_of(registry, "registry.pledge.registered")
    assert (cancelled.correlation_id, cancelled.causation_id) == (
        registered.correlation_id,
        first.event_id,
    )
    pledge = (await registry.client.get(f"/v1/pledges/{number}")).json()
    assert (pledge["status"], pledge["cancellation_reason"]) == ("cancelled", "debt_repaid")
    [patent] = registered_pledge["patents"]
    assert await registry.count(pledged_rights, pledged_rights.c.right_number == patent) == 0
    assert registry.dead_letters(DLQ) == []


async def test_a_release_for_another_loan_or_no_pledge_is_dead_lettered(
    registry: Running,
) -> None:
    number = (await credit_pledge(registry, "loan-7"))["registration_number"]

    await publish(registry.bus, LOANS_TOPIC, release("loan-8", number))
    await publish(registry.bus, LOANS_TOPIC, release("loan-9", "Y2026999999"))

    letters = await eventually(
        lambda: len(registry.dead_letters(DLQ)) == 2 and registry.dead_letters(DLQ)
    )
    reasons = sorted(dict(m.headers)["dlq.reason"].decode() for m in letters)
    assert reasons == ["pledge.not_found", "pledge.release_mismatch"]
    assert (await registry.client.get(f"/v1/pledges/{number}")).json()["status"] == "active"


async def recordal(service: Running, patent: str, kind: str, consent: bool) -> Any:
    if kind == "transfers":
        body: dict[str, Any] = {"assignees": [ASSIGNEE]}
    else:
        body = {"licensees": [ASSIGNEE], "licence_type": "exclusive"}
    url = f"/internal/v1/patents/{patent}/{kind}"
    return await service.client.post(url, json=body | {"pledgee_consent": consent})


def recorded(service: Running, patent: str) -> list[Any]:
    return [e for e in service.events(RIGHTS_TOPIC) if e.aggregate_id == patent]


async def holders_after(service: Running, patent: str, entries: int) -> list[str]:
    await eventually(lambda: len(recorded(service, patent)) == entries)
    return [h["uscc"] for h in recorded(service, patent)[-1].payload["holders"]]


@pytest.mark.parametrize("kind", ["transfers", "licences"])
async def test_a_pledged_patent_is_not_disposed_of_without_consent(
    registry: Running, kind: str
) -> None:
    patent, filed = await registered(registry)

    refused = await recordal(registry, patent, kind, consent=False)
    consented = await recordal(registry, patent, kind, consent=True)

    assert refused.status_code == 409
    assert refused.json()["code"] == "right.pledged_without_consent"
    assert consented.status_code == 201, consented.text
    entry = consented.json()
    assert entry["pledge_registration_number"] == filed["registration_number"]
    assert entry["kind"] == kind.rstrip("s")
    if kind == "transfers":
        assert await holders_after(registry, patent, 2) == [ASSIGNEE["uscc"]]
    else:
        assert await holders_after(registry, patent, 1) == [PLEDGOR["uscc"]]


async def test_a_free_patent_is_transferred_without_consent(registry: Running) -> None:
    patent, filed = await registered(registry)
    await cancel(registry, filed["registration_number"], "debt_repaid")
    unpledged = await put_patent(registry, holders=[STRANGER])

    after_cancellation = await recordal(registry, patent, "transfers", consent=False)
    never_pledged = await recordal(registry, unpledged, "transfers", consent=False)
    unknown = await recordal(registry, new_patent_number(), "transfers", consent=False)

    assert after_cancellation.status_code == 201, after_cancellation.text
    assert after_cancellation.json()["pledge_registration_number"] is None
    assert never_pledged.status_code == 201
    assert (unknown.status_code, unknown.json()["code"]) == (404, "right.not_found")
    assert await holders_after(registry, patent, 2) == [ASSIGNEE["uscc"]]
