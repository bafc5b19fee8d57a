"""The register refuses entries that contradict themselves, one by one and row by row in bulk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from services.registry.adapters.orm import metadata
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared.identifiers import make_uscc, patent_check_digit
from shared.migrations import upgrade
from tests.dates import today
from tests.integration.conftest import Running, running

# Today in Beijing: the date the registry compares grant dates and fee payments with.
TODAY = today()
HOLDER = {"name": "Suzhou Optics Co., Ltd.", "uscc": make_uscc(51)}
OUTBOX = metadata.tables["outbox"]


def number(digits: str) -> str:
    return f"{digits}.{patent_check_digit(digits)}"


INVENTION_2019 = number("201910000051")
PCT_2021 = number("202180000051")  # type digit 8: a PCT application entering in 2021


@pytest.fixture
async def registry(sqlite_url: Callable[[str], str]) -> AsyncIterator[Running]:
    url = sqlite_url("registry")
    await asyncio.to_thread(upgrade, "registry", url)
    settings = RegistrySettings(
        environment="test", database_url=url, kafka_bootstrap_servers="memory://", http_port=0
    )
    async with running(create_app, settings) as service:
        yield service


def patent(**changes: Any) -> dict[str, Any]:
    return {
        "number": INVENTION_2019,
        "title": "Aspheric lens grinding apparatus",
        "holders": [HOLDER],
        "filing_date": "2019-03-01",
        "grant_date": "2021-05-10",
        "legal_status": "valid",
        "fees_paid_through": str(TODAY + timedelta(days=365)),
    } | changes


def trademark(**changes: Any) -> dict[str, Any]:
    return {
        "number": "31234567",
        "nice_class": 9,
        "goods": ["0901", "0911"],
        "mark": "LENSOPT",
        "owner": HOLDER,
        "valid_until": str(TODAY + timedelta(days=3650)),
    } | changes


async def entries_announced(registry: Running) -> int:
    """Register entries written to the outbox, to be announced to valuation."""
    return await registry.count(OUTBOX, OUTBOX.c.event_type == "registry.patent.recorded")


async def put(registry: Running, body: dict[str, Any]) -> Any:
    return await registry.client.put(f"/internal/v1/patents/{body['number']}", json=body)


def contradictions(response: Any) -> dict[str, str]:
    """The codes of a refused entry, by field."""
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "register.entry_contradictory"
    return {e["field"]: e["code"] for e in problem["errors"]}


CONTRADICTIONS = {
    "granted before filed": (
        {"filing_date": "2019-03-01", "grant_date": "2019-02-28"},
        {"grant_date": "patent.grant_before_filing"},
    ),
    "filed in another year than its number": (
        {"filing_date": "2018-12-31"},
        {"filing_date": "patent.filing_year_mismatch"},
    ),
    "filed after the year of its number": (
        {"filing_date": "2020-01-02", "grant_date": "2021-05-10"},
        {"filing_date": "patent.filing_year_mismatch"},
    ),
    "valid without a grant date": (
        {"grant_date": None},
        {"grant_date": "patent.grant_date_missing"},
    ),
    "expired without a grant date": (
        {"legal_status": "expired", "grant_date": None},
        {"grant_date": "patent.grant_date_missing"},
    ),
    "pending with a grant date": (
        {"legal_status": "pending"},
        {"legal_status": "patent.pending_with_grant_date"},
    ),
    "granted tomorrow": (
        {"grant_date": str(TODAY + timedelta(days=1))},
        {"grant_date": "patent.grant_date_in_future"},
    ),
    "the same holder twice": (
        {"holders": [HOLDER, {"name": "Suzhou Optics", "uscc": HOLDER["uscc"].lower()}]},
        {"holders.1.uscc": "holders.duplicate"},
    ),
}


@pytest.mark.parametrize(
    ("changes", "expected"), CONTRADICTIONS.values(), ids=CONTRADICTIONS.keys()
)
async def test_a_contradictory_patent_is_refused_with_its_code(
    registry: Running, changes: dict[str, Any], expected: dict[str, str]
) -> None:
    response = await put(registry, patent(**changes))

    assert contradictions(response) == expected
    assert await entries_announced(registry) == 0


async def test_every_contradiction_of_an_entry_is_reported_at_once(registry: Running) -> None:
    body = patent(filing_date="2018-06-01", grant_date="2018-05-01", holders=[HOLDER, HOLDER])

    assert contradictions(await put(registry, body)) == {
        "grant_date": "patent.grant_before_filing",
        "filing_date": "patent.filing_year_mismatch",
        "holders.1.uscc": "holders.duplicate",
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"grant_date": "2019-03-01"},
        {"legal_status": "pending", "grant_date": None},
        {"legal_status": "terminated", "grant_date": None},
        {"number": PCT_2021, "filing_date": "2019-03-01"},
        {"number": PCT_2021, "filing_date": "2021-01-15"},
    ],
    ids=[
        "granted on its filing day",
        "pending without a grant date",
        "terminated before grant",
        "PCT entry two years after its international filing",
        "PCT filed the year it entered",
    ],
)
async def test_consistent_entries_are_recorded(registry: Running, changes: dict[str, Any]) -> None:
    response = await put(registry, patent(**changes))

    assert response.status_code == 200, response.text
    assert await entries_announced(registry) == 1


async def test_a_pct_filing_date_more_than_three_years_before_its_number_is_refused(
    registry: Running,
) -> None:
    body = patent(number=PCT_2021, filing_date="2017-12-31", grant_date="2022-01-10")

    assert contradictions(await put(registry, body)) == {
        "filing_date": "patent.filing_year_mismatch"
    }


async def test_a_trademark_listing_a_goods_group_twice_is_refused(registry: Running) -> None:
    body = trademark(goods=["0901", "0911", "0901"])

    response = await registry.client.put(f"/internal/v1/trademarks/{body['number']}", json=body)

    assert contradictions(response) == {"goods.2": "trademark.goods_duplicate"}


async def test_a_bulk_load_reports_each_contradictory_row_and_records_the_others(
    registry: Running,
) -> None:
    rows = [
        patent(),
        patent(number=number("201910000052"), grant_date="2018-01-01"),
        patent(number=number("201910000053"), legal_status="valid", grant_date=None),
        patent(number=number("201910000054"), filing_date="2020-02-02"),
        patent(number=number("201910000055"), holders=[HOLDER, HOLDER]),
    ]

    response = await registry.client.post("/internal/v1/patents/bulk", json={"rows": rows})

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["recorded"], report["rejected"]) == (1, 4)
    assert [[e["code"] for e in row["errors"]] for row in report["rows"]] == [
        [],
        ["patent.grant_before_filing"],
        ["patent.grant_date_missing"],
        ["patent.filing_year_mismatch"],
        ["holders.duplicate"],
    ]
    assert [row["number"] for row in report["rows"]] == [r["number"] for r in rows]
    assert await entries_announced(registry) == 1


async def test_a_bulk_load_of_trademarks_reports_repeated_goods_per_row(
    registry: Running,
) -> None:
    rows = [trademark(), trademark(number="31234568", goods=["0901", "0901"])]

    response = await registry.client.post("/internal/v1/trademarks/bulk", json={"rows": rows})

    assert [row["status"] for row in response.json()["rows"]] == ["recorded", "rejected"]
    assert response.json()["rows"][1]["errors"][0]["code"] == "trademark.goods_duplicate"
