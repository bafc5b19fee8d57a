"""The register over HTTP, on in-memory storage: the public register of pledges, the desk's
statistics, and loading rights in bulk."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from tests.dates import years_from_today
from tests.unit.registry_harness import (
    PLEDGEE,
    PLEDGOR,
    STRANGER,
    Registry,
    act,
    at,
    beijing,
    claim,
    examined,
    file,
    filing,
    instant,
    invalid_uscc,
    new_patent_number,
    problem_code,
    put_patent,
    registry,
)

__all__ = ["registry"]

OTHER_BANK = {
    "name": "Qingdao Innovation Bank",
    "uscc": "913702007180012344",
    "address": "6 Hong Kong Middle Road, Qingdao",
}
SCOPE_UNCLEAR = {"code": "contract.incomplete", "message": "The scope is unclear."}
_marks = itertools.count(71000001)


async def put_trademark(service: Registry) -> str:
    number = str(next(_marks))
    body = {
        "number": number,
        "nice_class": 9,
        "goods": ["0901"],
        "mark": f"LENSCO {number}",
        "owner": {"name": PLEDGOR["name"], "uscc": PLEDGOR["uscc"]},
        "valid_until": years_from_today(9).isoformat(),
    }
    response = await service.client.put(f"/internal/v1/trademarks/{number}", json=body)
    assert response.status_code == 200, response.text
    return number


async def registered(service: Registry, moment: datetime, body: dict[str, Any]) -> dict[str, Any]:
    at(service, moment)
    filed = (await file(service, body)).json()
    assert filed["status"] == "registered", filed["findings"]
    return dict(filed)


async def entries(service: Registry, query: str = "") -> dict[str, Any]:
    response = await service.client.get(f"/v1/register/entries{query}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def lines(page: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["entry_type"], e["right_number"], e["registration_number"]) for e in page["items"]]


@dataclass(frozen=True)
class Register:
    p1: str
    p2: str
    p3: str
    mark: str
    r1: str
    r2: str
    r3: str


@pytest.fixture
async def register(registry: Registry) -> Register:
    """p1 registered, changed, cancelled; p2 with a mark to another bank; p3 after midnight."""
    p1, p2, p3 = [await put_patent(registry) for _ in range(3)]
    mark = await put_trademark(registry)
    r1 = (await registered(registry, beijing(2026, 3, 2, 10), filing(p1)))["registration_number"]
    mixed = filing(p2, trademarks=[mark], pledgee=OTHER_BANK)
    r2 = (await registered(registry, beijing(2026, 3, 3, 10), mixed))["registration_number"]
    at(registry, beijing(2026, 3, 4, 10))
    changed = await registry.client.post(
        f"/v1/pledges/{r1}/changes", json={"secured_amount": "500000.00"}
    )
    at(registry, beijing(2026, 3, 5, 10))
    cancelled = await registry.client.post(
        f"/v1/pledges/{r1}/cancellation", json={"reason": "debt_repaid"}
    )
    assert (changed.status_code, cancelled.status_code) == (200, 200)
    past_beijing_midnight = beijing(2026, 3, 6, 0, 30)
    r3 = (await registered(registry, past_beijing_midnight, filing(p3)))["registration_number"]
    return Register(p1, p2, p3, mark, r1, r2, r3)


async def test_every_entry_is_listed_newest_first(registry: Registry, register: Register) -> None:
    everything = await entries(registry)

    r = register
    assert everything["total"] == 6
    assert lines(everything) == [
        ("registration", r.p3, r.r3),
        ("cancellation", r.p1, r.r1),
        ("change", r.p1, r.r1),
        ("registration", r.p2, r.r2),
        ("registration", r.mark, r.r2),
        ("registration", r.p1, r.r1),
    ]


async def test_a_rights_history_carries_the_register_details(
    registry: Registry, register: Register
) -> None:
    history = (await entries(registry, f"?right=CN{register.p1}"))["items"]
    [trademark] = (await entries(registry, f"?right={register.mark}"))["items"]

    assert [e["entry_type"] for e in history] == ["cancellation", "change", "registration"]
    assert {(e["main_ipc"], e["grant_date"], e["registration_date"]) for e in history} == {
        ("G02B 7/02", "2021-05-10", "2026-03-02")
    }
    assert (history[0]["reason"], history[1]["changed"]) == ("debt_repaid", ["secured_amount"])
    assert history[0]["pledgor"] == {"name": PLEDGOR["name"], "uscc": PLEDGOR["uscc"]}
    assert history[0]["pledgee"]["uscc"] == PLEDGEE["uscc"]
    assert instant(history[0]["entered_at"]) == beijing(2026, 3, 5, 10)
    assert (trademark["right_kind"], trademark["main_ipc"], trademark["grant_date"]) == (
        "trademark",
        None,
        None,
    )


async def test_entries_of_a_party_are_paged(registry: Registry, register: Register) -> None:
    r = register
    by_bank = await entries(registry, f"?party_uscc={OTHER_BANK['uscc']}")
    by_pledgor = await entries(registry, f"?party_uscc={PLEDGOR['uscc']}&limit=2&offset=1")
    stranger = await entries(registry, f"?party_uscc={STRANGER['uscc']}")

    assert lines(by_bank) == [("registration", r.p2, r.r2), ("registration", r.mark, r.r2)]
    assert (by_pledgor["total"], by_pledgor["limit"], by_pledgor["offset"]) == (6, 2, 1)
    assert lines(by_pledgor) == [("cancellation", r.p1, r.r1), ("change", r.p1, r.r1)]
    assert (stranger["total"], stranger["items"]) == (0, [])


async def test_entries_by_beijing_entry_date(registry: Registry, register: Register) -> None:
    period = await entries(registry, "?from=2026-03-03&to=2026-03-05")
    after_midnight = await entries(registry, "?from=2026-03-06")

    assert [e["entry_type"] for e in period["items"]] == [
        "cancellation",
        "change",
        "registration",
        "registration",
    ]
    assert lines(after_midnight) == [("registration", register.p3, register.r3)]


async def test_only_registrations_by_any_route_enter_the_register(registry: Registry) -> None:
    refused = (await file(registry, filing(await put_patent(registry, frozen=True)))).json()
    filed = await examined(registry)
    await claim(registry, filed["filing_id"], "exa")
    assert refused["status"] == "refused"
    assert (await entries(registry))["total"] == 0

    registered_by_examiner = (await act(registry, filed["filing_id"], "register", "exa")).json()

    [entry] = (await entries(registry))["items"]
    assert entry["registration_number"] == registered_by_examiner["registration_number"]
    assert entry["right_number"] == filed["patents"][0]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?right=not-a-number", "right.number_invalid"),
        ("?party_uscc=91330100609123456C", "uscc.check_character"),
        ("?from=2026-03-05&to=2026-03-04", "period.invalid"),
        ("?limit=0", "request.invalid"),
    ],
)
async def test_bad_queries_are_rejected(registry: Registry, query: str, code: str) -> None:
    response = await registry.client.get(f"/v1/register/entries{query}")
    problem = response.json()
    assert response.status_code == 422
    assert code in {problem_code(response)} | {e["code"] for e in problem.get("errors", [])}


# The desk's statistics


async def statistics(service: Registry, query: str = "") -> dict[str, Any]:
    response = await service.client.get(f"/internal/v1/statistics{query}")
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
async def known_filings(registry: Registry) -> None:
    """Received on Monday 2 March 2026 (Beijing), due by the end of Tuesday 3 March."""
    at(registry, beijing(2026, 3, 2, 10))
    assert await file(registry, filing(await put_patent(registry)))
    frozen = await put_patent(registry, frozen=True)
    assert (await file(registry, filing(frozen))).json()["status"] == "refused"
    quick, late, _pending = [(await examined(registry))["filing_id"] for _ in range(3)]
    await claim(registry, quick, "exa")
    await claim(registry, late, "exb")
    at(registry, beijing(2026, 3, 2, 11))
    assert (await act(registry, quick, "register", "exa")).status_code == 200
    at(registry, beijing(2026, 3, 4, 10))
    refusal = {"reasons": [SCOPE_UNCLEAR]}
    assert (await act(registry, late, "refuse", "exb", refusal)).status_code == 200
    at(registry, beijing(2026, 3, 10, 9))
    registered = (await file(registry, filing(await put_patent(registry)))).json()
    assert registered["status"] == "registered"


async def test_figures_over_a_period(registry: Registry, known_filings: None) -> None:
    figures = await statistics(registry, "?from=2026-03-01&to=2026-03-06")

    assert figures == {
        "from": "2026-03-01",
        "to": "2026-03-06",
        "received": 5,
        "registered": 2,
        "refused": 2,
        "pending": 1,
        "refusals_by_reason": {"contract.incomplete": 1, "right.frozen": 1},
        "median_seconds_to_decision": 1800.0,
        "p95_seconds_to_decision": 172800.0,
        "decided_within_deadline_share": 0.75,
    }


async def test_figures_over_all_time_and_empty_periods(
    registry: Registry, known_filings: None
) -> None:
    everything = await statistics(registry)
    nothing = await statistics(registry, "?from=2026-04-01&to=2026-04-30")
    backwards = await registry.client.get("/internal/v1/statistics?from=2026-03-05&to=2026-03-01")

    assert (everything["received"], everything["registered"], everything["refused"]) == (6, 3, 2)
    assert everything["median_seconds_to_decision"] == 0.0
    assert everything["decided_within_deadline_share"] == 0.8
    assert nothing["received"] == 0
    assert nothing["median_seconds_to_decision"] is None
    assert nothing["decided_within_deadline_share"] is None
    assert (backwards.status_code, problem_code(backwards)) == (422, "period.invalid")


# Loading the register in bulk


def row(number: str, **changes: Any) -> dict[str, Any]:
    return {
        "number": number,
        "title": "Optical coating process",
        "holders": [{"name": PLEDGOR["name"], "uscc": PLEDGOR["uscc"]}],
        "filing_date": "2019-04-01",
        "grant_date": "2021-05-10",
        "legal_status": "valid",
        "fees_paid_through": years_from_today(1).isoformat(),
    } | changes


async def test_a_bulk_load_records_valid_rows_and_reports_each_rejection(
    registry: Registry,
) -> None:
    good, also_good = new_patent_number(), new_patent_number()
    bad_check_digit = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        row(good),
        row(bad_check_digit),
        row(also_good, holders=[{"name": "X", "uscc": invalid_uscc(PLEDGOR["uscc"])}]),
        row(new_patent_number(), legal_status="sleeping"),
        row(good),
        row(new_patent_number(), title=""),
    ]
    response = await registry.client.post("/internal/v1/patents/bulk", json={"rows": rows})

    assert response.status_code == 200, response.text
    report = response.json()
    by_row = {r["row"]: r for r in report["rows"]}
    assert [by_row[i]["status"] for i in range(6)] == [
        "recorded",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert by_row[2]["errors"][0]["code"] == "uscc.check_character"
    assert by_row[1]["errors"][0]["code"] == "patent_number.check_digit"
    assert by_row[3]["errors"][0]["field"] == "legal_status"
    assert by_row[4]["errors"][0]["code"] == "row.duplicate"
    assert by_row[5]["errors"][0]["field"] == "title"
    assert (report["recorded"], report["rejected"]) == (1, 5)
    assert list(registry.database.patents.rows) == [good]
    [recorded] = registry.events("registry.patent.recorded")
    assert recorded.aggregate_id == good


async def test_a_bulk_load_with_no_valid_row_records_nothing(registry: Registry) -> None:
    response = await registry.client.post(
        "/internal/v1/patents/bulk", json={"rows": [{"number": "12"}, {"title": "no number"}]}
    )
    assert response.json()["recorded"] == 0
    assert [r["status"] for r in response.json()["rows"]] == ["rejected", "rejected"]
    assert registry.database.patents.rows == {}


async def test_a_bank_cannot_load_the_register(registry: Registry) -> None:
    response = await registry.client.post(
        "/internal/v1/patents/bulk",
        json={"rows": [row(new_patent_number())]},
        headers={"X-Bank-Id": "bank-hangzhou"},
    )
    assert (response.status_code, problem_code(response)) == (403, "auth.staff_only")
