"""Loading the register in bulk: valid rows are recorded and announced, the rest reported."""

from __future__ import annotations

from typing import Any

from services.registry.adapters.orm import patents
from tests.dates import years_from_today
from tests.integration.conftest import Running, eventually
from tests.integration.test_registry_service import (  # noqa: F401
    PLEDGOR,
    invalid_uscc,
    new_patent_number,
    registry,
)

RIGHTS_TOPIC = "pledgeflow.registry.rights"


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
    registry: Running,  # noqa: F811
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
    assert await registry.count(patents) == report["recorded"]
    recorded = await eventually(
        lambda: [e for e in registry.events(RIGHTS_TOPIC) if e.aggregate_id == good]
    )
    assert recorded[0].event_type == "registry.patent.recorded"


async def test_a_bulk_load_with_no_valid_row_records_nothing(
    registry: Running,  # noqa: F811
) -> None:
    response = await registry.client.post(
        "/internal/v1/patents/bulk", json={"rows": [{"number": "12"}, {"title": "no number"}]}
    )
    assert response.json()["recorded"] == 0
    assert [r["status"] for r in response.json()["rows"]] == ["rejected", "rejected"]
    assert await registry.count(patents) == 0


async def test_a_bank_cannot_load_the_register(registry: Running) -> None:  # noqa: F811
    response = await registry.client.post(
        "/internal/v1/patents/bulk",
        json={"rows": [row(new_patent_number())]},
        headers={"X-Bank-Id": "bank-hangzhou"},
    )
    assert (response.status_code, response.json()["code"]) == (403, "auth.staff_only")
