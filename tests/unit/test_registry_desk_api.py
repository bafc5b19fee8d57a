"""The examiner's desk over HTTP, on in-memory storage: who works it, the queue, the views of a
filing, and the answers to decisions and corrections. The rules behind the answers are tested
through the message bus in test_registry_handlers.py."""

from __future__ import annotations

from typing import Any

from shared.auth import Role
from tests.credentials import bank_headers, staff_headers
from tests.dates import days_from_today
from tests.unit.registry_harness import (
    ACK,
    DESK,
    PLEDGEE,
    PLEDGOR,
    Registry,
    act,
    as_examiner,
    at,
    beijing,
    claim,
    examined,
    file,
    filing,
    instant,
    problem_code,
    put_patent,
    registry,
)

__all__ = ["registry"]

QINGDAO_BANK = {
    "name": "Qingdao Rural Commercial Bank",
    "uscc": "913702007180012344",
    "address": "6 Hong Kong Middle Road, Qingdao",
}


async def test_only_examiners_and_supervisors_work_the_desk(registry: Registry) -> None:
    queue = f"{DESK}/queue"
    anonymous = await registry.client.get(queue, headers={"X-Anonymous": "1"})
    administrator = await registry.client.get(queue)
    bank = await registry.client.get(queue, headers=bank_headers("bank-hangzhou"))
    supervisor = await registry.client.get(queue, headers=staff_headers("s1", Role.SUPERVISOR))
    assert [(r.status_code, problem_code(r)) for r in (anonymous, administrator, bank)] == [
        (401, "auth.missing"),
        (403, "auth.role_forbidden"),
        (403, "auth.staff_only"),
    ]
    assert supervisor.status_code == 200
    filed = await examined(registry)
    response = await registry.client.post(
        f"{DESK}/filings/{filed['filing_id']}/claim", headers=bank_headers("bank-hangzhou")
    )
    assert response.status_code == 403
    current = await registry.client.get(f"/v1/pledge-filings/{filed['filing_id']}")
    assert current.json()["claimed_by"] is None


async def test_the_queue_lists_filings_by_deadline_with_overdue_and_pages(
    registry: Registry,
) -> None:
    received = [beijing(2026, 3, 4, 10), beijing(2026, 3, 2, 10), beijing(2026, 3, 3, 10)]
    ids = []
    for moment in received:
        at(registry, moment)
        ids.append((await examined(registry))["filing_id"])
    await file(registry, filing(await put_patent(registry)))
    await claim(registry, ids[2], "exa")
    at(registry, beijing(2026, 3, 4, 12))

    first = await registry.client.get(f"{DESK}/queue?limit=2", headers=as_examiner("exb"))
    second = await registry.client.get(f"{DESK}/queue?limit=2&offset=2", headers=as_examiner("exb"))

    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [item["filing_id"] for item in page["items"]] == [ids[1], ids[2]]
    assert [item["overdue"] for item in page["items"]] == [True, False]
    assert [item["claimed_by"] for item in page["items"]] == [None, "exa"]
    assert instant(page["items"][0]["deadline_at"]) == beijing(2026, 3, 4, 0)
    [last] = second.json()["items"]
    assert (last["filing_id"], last["overdue"]) == (ids[0], False)
    assert last["findings"][0]["code"] == "patent.invalidation_pending"
    assert last["deadline_provisional"] is False


async def test_the_filing_views_show_the_whole_contract(registry: Registry) -> None:
    filed = await examined(registry)
    bank_view = (await registry.client.get(f"/v1/pledge-filings/{filed['filing_id']}")).json()
    desk_view = await registry.client.get(
        f"{DESK}/filings/{filed['filing_id']}", headers=as_examiner("exa")
    )
    queue = await registry.client.get(f"{DESK}/queue", headers=as_examiner("exa"))

    assert desk_view.json() == bank_view
    [item] = queue.json()["items"]
    for view in (bank_view, item):
        assert view["pledgor"] == PLEDGOR
        assert view["pledgee"] == PLEDGEE
        assert view["debt_type"] == "loan"
        assert view["secured_amount"] == "300000.00"
        assert view["performance_deadline"] == days_from_today(365).isoformat()
        assert view["scope_of_guarantee"] == "principal, interest and enforcement costs"
        assert view["patents"] == filed["patents"]
        assert view["acknowledgements"] == ACK
        assert view["findings"][0]["code"] == "patent.invalidation_pending"
        assert view["correlation_id"]
    assert bank_view["decisions"] == []


async def test_a_decision_is_shown_with_who_took_it_and_why(registry: Registry) -> None:
    acknowledged = await examined(registry, acknowledged=False)
    refused = await examined(registry)
    for filed in (acknowledged, refused):
        await claim(registry, filed["filing_id"], "exa")
    note = "Both parties confirmed in writing on 2 March that they proceed."
    reason = {"code": "contract.incomplete", "message": "The scope of guarantee is unclear."}

    acknowledgement = await act(
        registry,
        acknowledged["filing_id"],
        "acknowledge",
        "exa",
        {"codes": ["patent.invalidation_pending"], "note": note},
    )
    no_reason = await act(registry, refused["filing_id"], "refuse", "exa", {"reasons": []})
    refusal = await act(registry, refused["filing_id"], "refuse", "exa", {"reasons": [reason]})

    assert acknowledgement.status_code == 200, acknowledgement.text
    view = acknowledgement.json()
    assert view["findings"][0]["acknowledged"] is True
    assert view["acknowledgements"] == ["patent.invalidation_pending"]
    assert view["decisions"][-1] | {"at": None} == {
        "action": "warnings_acknowledged",
        "examiner": "exa",
        "at": None,
        "reasons": [],
        "message": note,
        "fields": [],
        "acknowledged": ["patent.invalidation_pending"],
        "assignee": None,
    }
    assert (no_reason.status_code, problem_code(no_reason)) == (422, "request.invalid")
    assert refusal.status_code == 200, refusal.text
    assert (refusal.json()["status"], refusal.json()["decided_by"]) == ("refused", "exa")
    assert refusal.json()["decisions"][-1]["reasons"] == [reason]


async def correct(
    service: Registry, filing_id: str, body: dict[str, Any], bank: str = "bank-hangzhou"
) -> Any:
    url = f"/v1/pledge-filings/{filing_id}/correction"
    return await service.client.post(url, json=body, headers=bank_headers(bank))


async def test_a_refused_correction_names_the_terms_it_may_not_change(
    registry: Registry,
) -> None:
    filed = await examined(registry)
    filing_id, patents = filed["filing_id"], filed["patents"]
    await claim(registry, filing_id, "exa")
    fields = {"fields": ["scope_of_guarantee"], "message": "Please correct."}
    asked = await act(registry, filing_id, "request-correction", "exa", fields)
    taken_over = filing(*patents, pledgee=QINGDAO_BANK, acknowledgements=ACK)
    inflated = filing(
        *patents,
        secured_amount="99999999.00",
        performance_deadline="2028-12-31",
        acknowledgements=ACK,
    )

    responses = [
        await correct(registry, filing_id, taken_over),
        await correct(registry, filing_id, taken_over, bank="bank-qingdao"),
        await correct(registry, filing_id, inflated),
    ]

    assert (asked.json()["status"], asked.json()["correctable"]) == (
        "awaiting_correction",
        ["scope_of_guarantee"],
    )
    assert [(r.status_code, problem_code(r)) for r in responses] == [
        (422, "correction.not_correctable"),
        (404, "filing.not_found"),
        (422, "correction.field_not_requested"),
    ]
    assert {e["field"] for e in responses[0].json()["errors"]} == {"pledgee.name", "pledgee.uscc"}
    assert {e["field"] for e in responses[2].json()["errors"]} == {
        "secured_amount",
        "performance_deadline",
    }
    fixed = filing(*patents, scope_of_guarantee="principal and interest", acknowledgements=ACK)
    corrected = await correct(registry, filing_id, fixed)
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["status"], corrected.json()["scope_of_guarantee"]) == (
        "in_examination",
        "principal and interest",
    )
    assert instant(corrected.json()["corrected_at"]) == registry.clock.now()
