"""The desk's rules over HTTP on PostgreSQL: corrections that cannot rewrite the pledge,
statutory refusal grounds, acknowledged warnings, same-day twins, similar marks, the calendar."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest

from services.registry.adapters.orm import audit_log
from services.registry.domain.events import PLEDGES_TOPIC
from shared.auth import Role
from shared.identifiers import patent_check_digit
from tests.credentials import bank_headers, staff_headers
from tests.integration.conftest import Running, envelope, eventually, publish
from tests.integration.test_registry_calendar import SCHEDULE_2031
from tests.integration.test_registry_examination import (
    ACK,
    DESK,
    act,
    claim,
    examined,
    problem_code,
)
from tests.integration.test_registry_service import (
    LOANS_TOPIC,
    PLEDGEE,
    PLEDGOR,
    file,
    filing,
    put_patent,
    registry,  # noqa: F401
)

pytestmark = pytest.mark.postgres

HANGZHOU = bank_headers("bank-hangzhou")
QINGDAO_BANK = {
    "name": "Qingdao Rural Commercial Bank",
    "uscc": "913702007180012344",
    "address": "6 Hong Kong Middle Road, Qingdao",
}
_serials = itertools.count(1)
_marks = itertools.count(41000001)


def twin_numbers() -> tuple[str, str]:
    """An invention and a utility-model application number of one year."""
    serial = next(_serials)
    invention, utility = f"20191{serial + 500000:07d}", f"20192{serial + 500000:07d}"
    return (
        f"{invention}.{patent_check_digit(invention)}",
        f"{utility}.{patent_check_digit(utility)}",
    )


async def correct(
    service: Running, filing_id: str, body: dict[str, Any], headers: dict[str, str] = HANGZHOU
) -> Any:
    url = f"/v1/pledge-filings/{filing_id}/correction"
    return await service.client.post(url, json=body, headers=headers)


async def awaiting_correction(service: Running, fields: list[str]) -> dict[str, Any]:
    filed = await examined(service)
    await claim(service, filed["filing_id"], "exa")
    asked = await act(
        service,
        filed["filing_id"],
        "request-correction",
        "exa",
        {"fields": fields, "message": "Please correct."},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["correctable"] == fields
    return dict(asked.json())


async def test_a_correction_cannot_rewrite_the_pledge(registry: Running) -> None:  # noqa: F811
    filed = await awaiting_correction(registry, ["scope_of_guarantee"])
    filing_id, patents = filed["filing_id"], filed["patents"]
    taken_over = filing(*patents, pledgee=QINGDAO_BANK, acknowledgements=ACK)
    inflated = filing(
        *patents,
        secured_amount="99999999.00",
        performance_deadline="2028-12-31",
        acknowledgements=ACK,
    )
    other_bank = bank_headers("bank-qingdao")

    responses = [
        await correct(registry, filing_id, taken_over),
        await correct(registry, filing_id, taken_over, headers=other_bank),
        await correct(registry, filing_id, inflated),
        await correct(registry, filing_id, filing(*patents, pledgor=PLEDGEE, acknowledgements=ACK)),
    ]

    assert [(r.status_code, problem_code(r)) for r in responses] == [
        (422, "correction.not_correctable"),
        (404, "filing.not_found"),
        (422, "correction.field_not_requested"),
        (422, "correction.not_correctable"),
    ]
    assert {e["field"] for e in responses[0].json()["errors"]} == {"pledgee.name", "pledgee.uscc"}
    assert {e["field"] for e in responses[2].json()["errors"]} == {
        "secured_amount",
        "performance_deadline",
    }
    current = (await registry.client.get(f"/v1/pledge-filings/{filing_id}")).json()
    assert (current["status"], current["pledgee"], current["secured_amount"]) == (
        "awaiting_correction",
        PLEDGEE,
        "300000.00",
    )

    fixed = filing(*patents, scope_of_guarantee="principal and interest", acknowledgements=ACK)
    corrected = await correct(registry, filing_id, fixed)
    assert corrected.status_code == 200, corrected.text
    assert (await act(registry, filing_id, "register", "exa")).status_code == 200
    [registered] = await eventually(
        lambda: registry.events(PLEDGES_TOPIC, "registry.pledge.registered")
    )
    assert registered.payload["pledgee"]["uscc"] == PLEDGEE["uscc"]
    assert registered.payload["secured_amount"] == "300000.00"
    assert registered.payload["scope_of_guarantee"] == "principal and interest"


async def credit_filing(service: Running, loan_id: str) -> str:
    patent = await put_patent(service, invalidation_pending=True)
    payload = filing(patent) | {"loan_id": loan_id, "filing_reference": loan_id, "trademarks": []}
    await publish(
        service.bus, LOANS_TOPIC, envelope("credit.pledge_filing.requested", loan_id, payload)
    )
    [queued] = await eventually(
        lambda: [
            e
            for e in service.events(PLEDGES_TOPIC, "registry.filing.queued_for_examination")
            if e.payload["filing_reference"] == loan_id
        ]
    )
    return str(queued.aggregate_id)


async def test_a_filing_credit_sent_stays_the_loans(registry: Running) -> None:  # noqa: F811
    filing_id = await credit_filing(registry, "loan-77")
    await claim(registry, filing_id, "exa")
    amount = {"fields": ["secured_amount"], "message": "Raise the amount."}
    refused = await act(registry, filing_id, "request-correction", "exa", amount)
    scope = {"fields": ["scope_of_guarantee"], "message": "State the scope."}
    asked = await act(registry, filing_id, "request-correction", "exa", scope)
    view = asked.json()
    bigger = filing(*view["patents"], secured_amount="900000.00", acknowledgements=ACK)
    changed = await correct(registry, filing_id, bigger)

    assert (refused.status_code, problem_code(refused)) == (422, "correction.conflicts_with_loan")
    assert asked.status_code == 200, asked.text
    assert (changed.status_code, problem_code(changed)) == (422, "correction.conflicts_with_loan")
    current = (await registry.client.get(f"/v1/pledge-filings/{filing_id}")).json()
    assert (current["channel"], current["secured_amount"]) == ("credit", "300000.00")


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ({"code": "made.up_reason", "message": "Because."}, "refusal.unknown_ground"),
        ({"code": "other", "message": "   "}, "text.blank"),
    ],
)
async def test_an_examiner_refuses_only_on_statutory_grounds(
    registry: Running,  # noqa: F811
    reason: dict[str, str],
    code: str,
) -> None:
    filed = await examined(registry)
    await claim(registry, filed["filing_id"], "exa")

    response = await act(registry, filed["filing_id"], "refuse", "exa", {"reasons": [reason]})

    codes = {problem_code(response)} | {e["code"] for e in response.json().get("errors", [])}
    assert response.status_code == 422 and code in codes
    current = (await registry.client.get(f"/v1/pledge-filings/{filed['filing_id']}")).json()
    assert current["status"] == "in_examination"
    explained = {"code": "other", "message": "The contract was signed by an unauthorised person."}
    refused = await act(registry, filed["filing_id"], "refuse", "exa", {"reasons": [explained]})
    assert refused.status_code == 200, refused.text
    [event] = await eventually(lambda: registry.events(PLEDGES_TOPIC, "registry.filing.refused"))
    assert event.payload["grounds"] == [
        {
            "code": "other",
            "right": None,
            "message": explained["message"],
            "severity": "refusal",
            "acknowledged": False,
            "related": [],
        }
    ]


async def test_the_examiner_acknowledges_warnings_on_the_desk(
    registry: Running,  # noqa: F811
) -> None:
    filed = await examined(registry, acknowledged=False)
    filing_id = filed["filing_id"]
    await claim(registry, filing_id, "exa")
    note = "Both parties confirmed in writing on 2 March that they proceed."
    body = {"codes": ["patent.invalidation_pending"], "note": note}

    by_other = await act(registry, filing_id, "acknowledge", "exb", body)
    not_a_warning = await act(
        registry, filing_id, "acknowledge", "exa", {"codes": ["right.frozen"], "note": note}
    )
    acknowledged = await act(registry, filing_id, "acknowledge", "exa", body)

    assert (by_other.status_code, problem_code(by_other)) == (409, "filing.claimed_by_other")
    assert (not_a_warning.status_code, problem_code(not_a_warning)) == (
        422,
        "acknowledgement.not_a_warning",
    )
    assert acknowledged.status_code == 200, acknowledged.text
    view = acknowledged.json()
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
    }
    [event] = await eventually(
        lambda: registry.events(PLEDGES_TOPIC, "registry.filing.warnings_acknowledged")
    )
    assert (event.payload["acknowledged_by"], event.payload["note"]) == ("exa", note)
    assert (await act(registry, filing_id, "register", "exa")).status_code == 200


async def test_the_filing_views_show_the_whole_contract(registry: Running) -> None:  # noqa: F811
    filed = await examined(registry)
    bank_view = (await registry.client.get(f"/v1/pledge-filings/{filed['filing_id']}")).json()
    desk_view = await registry.client.get(
        f"{DESK}/filings/{filed['filing_id']}", headers={"X-Examiner-Id": "exa"}
    )
    queue = await registry.client.get(f"{DESK}/queue", headers={"X-Examiner-Id": "exa"})

    assert desk_view.json() == bank_view
    [item] = queue.json()["items"]
    for view in (bank_view, item):
        assert view["pledgor"] == PLEDGOR
        assert view["pledgee"] == PLEDGEE
        assert view["debt_type"] == "loan"
        assert view["secured_amount"] == "300000.00"
        assert view["performance_deadline"] == (date.today() + timedelta(days=365)).isoformat()
        assert view["scope_of_guarantee"] == "principal, interest and enforcement costs"
        assert view["patents"] == filed["patents"]
        assert view["acknowledgements"] == ACK
        assert view["findings"][0]["code"] == "patent.invalidation_pending"
        assert view["correlation_id"]
    assert bank_view["decisions"] == []


async def test_a_same_day_twin_on_the_register_warns_of_the_pair(
    registry: Running,  # noqa: F811
) -> None:
    invention, utility = twin_numbers()
    await put_patent(registry, number=invention)
    await put_patent(registry, number=utility, same_day_twin=invention)
    wrong_kind = await registry.client.put(
        f"/internal/v1/patents/{twin_numbers()[0]}",
        json={
            "number": twin_numbers()[0],
            "title": "Lens",
            "holders": [{"name": PLEDGOR["name"], "uscc": PLEDGOR["uscc"]}],
            "filing_date": "2019-03-01",
            "legal_status": "pending",
            "fees_paid_through": "2030-01-01",
            "same_day_twin": invention,
        },
    )

    warned = (await file(registry, filing(invention))).json()

    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["errors"][0]["code"] == "patent.twin_not_a_pair"
    assert warned["status"] == "in_examination"
    [finding] = warned["findings"]
    assert (finding["code"], finding["related"], finding["acknowledged"]) == (
        "patent.same_day_invention_utility",
        [utility],
        False,
    )
    acknowledged = filing(invention, acknowledgements=["patent.same_day_invention_utility"])
    assert (await file(registry, acknowledged)).json()["findings"][0]["acknowledged"] is True


async def test_the_parties_may_declare_a_same_day_pair(registry: Running) -> None:  # noqa: F811
    patent = await put_patent(registry)
    stranger = twin_numbers()[0]

    declared = await file(registry, filing(patent, same_day_invention_utility=[patent]))
    not_pledged = await file(registry, filing(patent, same_day_invention_utility=[stranger]))

    assert declared.status_code == 201, declared.text
    assert declared.json()["status"] == "in_examination"
    assert [f["code"] for f in declared.json()["findings"]] == ["patent.same_day_invention_utility"]
    assert declared.json()["same_day_invention_utility"] == [patent]
    assert not_pledged.status_code == 422
    assert not_pledged.json()["errors"][0]["code"] == "filing.same_day_not_pledged"


async def put_mark(service: Running, mark: str, goods: list[str], nice_class: int = 9) -> str:
    number = str(next(_marks))
    body = {
        "number": number,
        "nice_class": nice_class,
        "goods": goods,
        "mark": mark,
        "owner": {"name": PLEDGOR["name"], "uscc": PLEDGOR["uscc"]},
        "valid_until": "2040-01-01",
    }
    response = await service.client.put(f"/internal/v1/trademarks/{number}", json=body)
    assert response.status_code == 200, response.text
    return number


def mark_filing(*numbers: str) -> dict[str, Any]:
    return filing() | {"patents": [], "trademarks": list(numbers)}


async def test_moonlens_and_moonlens_pro_are_pledged_together(
    registry: Running,  # noqa: F811
) -> None:
    moonlens = await put_mark(registry, "MOONLENS", ["0901"])
    pro = await put_mark(registry, "MoonLens Pro", ["0901", "0907"])

    alone = (await file(registry, mark_filing(moonlens))).json()
    together = (await file(registry, mark_filing(moonlens, pro))).json()

    assert alone["status"] == "refused"
    [finding] = alone["findings"]
    assert (finding["code"], finding["related"]) == ("trademark.similar_marks_omitted", [pro])
    assert together["status"] == "registered"


async def test_a_borderline_mark_waits_for_the_examiner(registry: Running) -> None:  # noqa: F811
    moonlens = await put_mark(registry, "MOONLENS", ["0901"])
    star = await put_mark(registry, "MOONLENSTAR", ["0901"])
    await put_mark(registry, "SUNGLASS", ["0901"])

    held = (await file(registry, mark_filing(moonlens))).json()
    await claim(registry, held["filing_id"], "exa")
    unacknowledged = await act(registry, held["filing_id"], "register", "exa")
    body = {
        "codes": ["trademark.similar_marks_possible"],
        "note": "MOONLENSTAR reads as a different word; no confusion with MOONLENS.",
    }
    acknowledged = await act(registry, held["filing_id"], "acknowledge", "exa", body)

    assert held["status"] == "in_examination"
    [finding] = held["findings"]
    assert (finding["code"], finding["severity"], finding["related"]) == (
        "trademark.similar_marks_possible",
        "warning",
        [star],
    )
    assert problem_code(unacknowledged) == "filing.acknowledgement_missing"
    assert acknowledged.status_code == 200, acknowledged.text
    assert (await act(registry, held["filing_id"], "register", "exa")).status_code == 200


async def test_only_supervisors_and_administrators_replace_the_calendar(
    registry: Running,  # noqa: F811
) -> None:
    url = "/internal/v1/calendar/2031"
    examiner = await registry.client.put(
        url, json=SCHEDULE_2031, headers=staff_headers("exa", Role.EXAMINER)
    )
    unchanged = await registry.client.get(url, headers=staff_headers("exa", Role.EXAMINER))
    supervisor = await registry.client.put(
        url, json=SCHEDULE_2031, headers=staff_headers("sup-1", Role.SUPERVISOR)
    )

    assert (examiner.status_code, problem_code(examiner)) == (403, "auth.role_forbidden")
    assert unchanged.status_code == 200
    assert (unchanged.json()["source"], unchanged.json()["version"]) == (
        "provisional_statutory_rule",
        0,
    )
    assert supervisor.status_code == 200, supervisor.text
    rows = await registry.rows(audit_log, audit_log.c.path == url, audit_log.c.method == "PUT")
    assert sorted((r["actor"], r["status_code"]) for r in rows) == [
        ("exa", 403),
        ("sup-1", 200),
    ]
