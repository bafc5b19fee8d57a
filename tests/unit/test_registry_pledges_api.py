"""Registered pledges over HTTP and from credit's events, on in-memory storage: changes,
cancellations, releases, and transfers and licences of pledged patents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.identifiers import make_uscc
from tests.dates import days_from_today
from tests.unit.registry_harness import (
    PLEDGOR,
    STRANGER,
    TERM_END,
    Registry,
    file,
    filing,
    filing_requested,
    new_patent_number,
    problem_code,
    put_patent,
    registry,
    release_requested,
)

__all__ = ["registry"]

ASSIGNEE = {"name": "Suzhou Optics Holdings Co., Ltd.", "uscc": make_uscc(9)}


async def registered(service: Registry, **patent: Any) -> tuple[str, dict[str, Any]]:
    number = await put_patent(service, **patent)
    response = await file(service, filing(number))
    filed = response.json()
    assert filed["status"] == "registered", response.text
    return number, dict(filed)


async def change(service: Registry, registration: str, body: dict[str, Any]) -> Any:
    return await service.client.post(f"/v1/pledges/{registration}/changes", json=body)


async def cancel(service: Registry, registration: str, reason: str) -> Any:
    url = f"/v1/pledges/{registration}/cancellation"
    return await service.client.post(url, json={"reason": reason})


async def test_a_change_answers_with_the_pledges_new_terms(registry: Registry) -> None:
    _, filed = await registered(registry)
    number = filed["registration_number"]
    later = days_from_today(700).isoformat()
    beyond = (TERM_END + timedelta(days=1)).isoformat()

    refused = await change(registry, number, {"performance_deadline": beyond})
    response = await change(
        registry, number, {"secured_amount": "450000.00", "performance_deadline": later}
    )

    assert (refused.status_code, problem_code(refused)) == (422, "change.refused")
    assert [e["code"] for e in refused.json()["errors"]] == ["deadline.beyond_term"]
    assert response.status_code == 200, response.text
    pledge = response.json()
    assert (pledge["secured_amount"], pledge["performance_deadline"]) == ("450000.00", later)
    assert pledge["status"] == "active"
    assert [(a["kind"], a["changed"]) for a in pledge["amendments"]] == [
        ("change", ["secured_amount", "performance_deadline"])
    ]
    assert (await registry.client.get(f"/v1/pledges/{number}")).json() == pledge


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, "request.invalid"), ({"secured_amount": "300000.00"}, "change.nothing_changed")],
    ids=["empty", "same-terms"],
)
async def test_a_change_must_change_something(
    registry: Registry, body: dict[str, Any], code: str
) -> None:
    _, filed = await registered(registry)
    response = await change(registry, filed["registration_number"], body)
    assert (response.status_code, problem_code(response)) == (422, code)


async def test_a_new_pledgor_must_hold_the_rights(registry: Registry) -> None:
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
    [event] = registry.events("registry.pledge.changed")
    assert event.payload["changed"] == ["pledgor"]


async def test_a_cancellation_ends_the_pledge_and_is_announced_with_its_terms(
    registry: Registry,
) -> None:
    patent, filed = await registered(registry)
    number = filed["registration_number"]

    response = await cancel(registry, number, "pledgee_waived")

    assert response.status_code == 200, response.text
    pledge = response.json()
    assert (pledge["status"], pledge["cancellation_reason"]) == ("cancelled", "pledgee_waived")
    assert registry.held(patent) == []
    filing_now = (await registry.client.get(f"/v1/pledge-filings/{filed['filing_id']}")).json()
    assert filing_now["status"] == "cancelled"
    [event] = registry.events("registry.pledge.cancelled")
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
    assert event.payload["pledgor"]["uscc"] == PLEDGOR["uscc"]
    cancelled_again = await cancel(registry, number, "debt_repaid")
    changed_after = await change(registry, number, {"secured_amount": "1.00"})
    for refused in (cancelled_again, changed_after):
        assert (refused.status_code, problem_code(refused)) == (409, "pledge.not_active")


async def test_unknown_pledges_and_reasons_are_rejected(registry: Registry) -> None:
    _, filed = await registered(registry)
    unknown = await cancel(registry, "Y2026999999", "debt_repaid")
    bad_reason = await cancel(registry, filed["registration_number"], "bank_forgot")
    assert (unknown.status_code, problem_code(unknown)) == (404, "pledge.not_found")
    assert (bad_reason.status_code, problem_code(bad_reason)) == (422, "request.invalid")


async def credit_pledge(service: Registry, loan_id: str) -> dict[str, Any]:
    patent = await put_patent(service)
    await service.deliver(filing_requested(loan_id, filing(patent)))
    [registered] = [
        e
        for e in service.events("registry.pledge.registered")
        if e.payload["filing_reference"] == loan_id
    ]
    return dict(registered.payload)


async def test_a_release_requested_by_credit_cancels_the_pledge_once(registry: Registry) -> None:
    registered_pledge = await credit_pledge(registry, "loan-42")
    number = registered_pledge["registration_number"]
    first = release_requested("loan-42", number, registry.clock.now())

    await registry.deliver(first)
    await registry.deliver(first)
    await registry.deliver(release_requested("loan-42", number, registry.clock.now()))

    assert registry.handled() == 3
    [cancelled] = registry.events("registry.pledge.cancelled")
    assert cancelled.payload["reason"] == "debt_repaid"
    assert cancelled.payload["filing_reference"] == "loan-42"
    [registered] = registry.events("registry.pledge.registered")
    assert (cancelled.correlation_id, cancelled.causation_id) == (
        registered.correlation_id,
        first.event_id,
    )
    pledge = (await registry.client.get(f"/v1/pledges/{number}")).json()
    assert (pledge["status"], pledge["cancellation_reason"]) == ("cancelled", "debt_repaid")
    [patent] = registered_pledge["patents"]
    assert registry.held(patent) == []
    assert registry.dead_lettered() == []


async def test_a_release_for_another_loan_or_no_pledge_is_dead_lettered(
    registry: Registry,
) -> None:
    number = (await credit_pledge(registry, "loan-7"))["registration_number"]

    await registry.deliver(release_requested("loan-8", number, registry.clock.now()))
    await registry.deliver(release_requested("loan-9", "Y2026999999", registry.clock.now()))

    reasons = sorted(dict(m.headers)["dlq.reason"].decode() for m in registry.dead_lettered())
    assert reasons == ["pledge.not_found", "pledge.release_mismatch"]
    assert (await registry.client.get(f"/v1/pledges/{number}")).json()["status"] == "active"


async def recordal(service: Registry, patent: str, kind: str, consent: bool) -> Any:
    if kind == "transfers":
        body: dict[str, Any] = {"assignees": [ASSIGNEE]}
    else:
        body = {"licensees": [ASSIGNEE], "licence_type": "exclusive"}
    url = f"/internal/v1/patents/{patent}/{kind}"
    return await service.client.post(url, json=body | {"pledgee_consent": consent})


def holders(service: Registry, patent: str) -> list[list[str]]:
    """The holders announced with each version of a patent's entry."""
    announced = [e for e in service.events("registry.patent.recorded") if e.aggregate_id == patent]
    return [[h["uscc"] for h in e.payload["holders"]] for e in announced]


@pytest.mark.parametrize("kind", ["transfers", "licences"])
async def test_a_pledged_patent_is_not_disposed_of_without_consent(
    registry: Registry, kind: str
) -> None:
    patent, filed = await registered(registry)

    refused = await recordal(registry, patent, kind, consent=False)
    consented = await recordal(registry, patent, kind, consent=True)

    assert (refused.status_code, problem_code(refused)) == (409, "right.pledged_without_consent")
    assert consented.status_code == 201, consented.text
    entry = consented.json()
    assert entry["pledge_registration_number"] == filed["registration_number"]
    assert entry["kind"] == kind.rstrip("s")
    if kind == "transfers":
        assert holders(registry, patent) == [[PLEDGOR["uscc"]], [ASSIGNEE["uscc"]]]
    else:
        assert holders(registry, patent) == [[PLEDGOR["uscc"]]]


async def test_a_free_patent_is_transferred_without_consent(registry: Registry) -> None:
    patent, filed = await registered(registry)
    await cancel(registry, filed["registration_number"], "debt_repaid")
    unpledged = await put_patent(registry, holders=[STRANGER])

    after_cancellation = await recordal(registry, patent, "transfers", consent=False)
    never_pledged = await recordal(registry, unpledged, "transfers", consent=False)
    unknown = await recordal(registry, new_patent_number(), "transfers", consent=False)

    assert after_cancellation.status_code == 201, after_cancellation.text
    assert after_cancellation.json()["pledge_registration_number"] is None
    assert never_pledged.status_code == 201
    assert (unknown.status_code, problem_code(unknown)) == (404, "right.not_found")
    assert holders(registry, patent)[-1] == [ASSIGNEE["uscc"]]
    assert len(registry.database.recordals.values()) == 2
