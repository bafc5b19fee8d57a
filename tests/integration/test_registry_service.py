"""The registry on PostgreSQL: filings registered, refused or queued, and the pledge race."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.registry.adapters.orm import filings, metadata, pledged_rights
from services.registry.app import create_app
from services.registry.domain.events import PLEDGES_TOPIC
from services.registry.settings import RegistrySettings
from shared.identifiers import make_uscc, patent_check_digit
from tests.conftest import MakeDatabase
from tests.credentials import bank_headers
from tests.dates import beijing, days_from_today
from tests.integration.conftest import Running, at, envelope, eventually, publish, running

pytestmark = pytest.mark.postgres

LOANS_TOPIC = "pledgeflow.credit.loans"
PLEDGOR = {"name": "Hangzhou Lens Optics Co., Ltd.", "uscc": make_uscc(7), "address": "Hangzhou"}
PLEDGEE = {
    "name": "Hangzhou Science and Technology Bank",
    "uscc": "91330100609123456B",
    "address": "88 Qianjiang Road, Hangzhou",
}
STRANGER = {"name": "Ningbo Mould Works Co., Ltd.", "uscc": make_uscc(8)}
FILED_ON = date(2019, 3, 1)
TERM_END = date(2039, 2, 28)
OUTBOX = metadata.tables["outbox"]
_serials = itertools.count(1)


def new_patent_number() -> str:
    digits = f"20191{next(_serials):07d}"
    return f"{digits}.{patent_check_digit(digits)}"


def invalid_uscc(valid: str) -> str:
    return valid[:-1] + ("0" if valid[-1] != "0" else "1")


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


async def put_patent(service: Running, **changes: Any) -> str:
    number = changes.pop("number", None) or new_patent_number()
    body = {
        "number": number,
        "title": "Lens assembly with adaptive focus",
        "holders": [{"name": PLEDGOR["name"], "uscc": PLEDGOR["uscc"]}],
        "filing_date": FILED_ON.isoformat(),
        "grant_date": "2021-05-10",
        "legal_status": "valid",
        "fees_paid_through": days_from_today(365).isoformat(),
        "main_ipc": "G02B 7/02",
    } | changes
    response = await service.client.put(f"/internal/v1/patents/{number}", json=body)
    assert response.status_code == 200, response.text
    return number


def filing(*patents: str, **changes: Any) -> dict[str, Any]:
    return {
        "pledgor": PLEDGOR,
        "pledgee": PLEDGEE,
        "debt_type": "loan",
        "secured_amount": "300000.00",
        "performance_deadline": days_from_today(365).isoformat(),
        "patents": list(patents),
        "scope_of_guarantee": "principal, interest and enforcement costs",
    } | changes


async def file(service: Running, body: dict[str, Any]) -> httpx.Response:
    return await service.client.post("/v1/pledge-filings", json=body)


def codes(filed: dict[str, Any]) -> set[str]:
    return {finding["code"] for finding in filed["findings"]}


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def test_a_clean_filing_is_registered_at_once(registry: Running) -> None:
    eve_of_national_day = beijing(2026, 9, 30, 10)
    at(registry, eve_of_national_day)
    patent = await put_patent(registry)
    response = await file(registry, filing(patent))

    assert response.status_code == 201, response.text
    filed = response.json()
    assert instant(filed["received_at"]) == eve_of_national_day
    assert filed["status"] == "registered"
    assert filed["channel"] == "api"
    assert filed["findings"] == []
    assert filed["registration_number"] == "Y2026000001"
    assert instant(filed["deadline_at"]) == beijing(2026, 10, 9)
    assert (await registry.client.get(f"/v1/pledge-filings/{filed['filing_id']}")).json() == filed

    [registered] = await eventually(
        lambda: registry.events(PLEDGES_TOPIC, "registry.pledge.registered")
    )
    assert registered.aggregate_id == filed["filing_id"]
    assert registered.payload["registration_number"] == filed["registration_number"]
    assert registered.payload["patents"] == [patent]
    assert registered.payload["secured_amount"] == "300000.00"
    assert registered.payload["within_deadline"] is True
    assert await registry.count(pledged_rights, pledged_rights.c.right_number == patent) == 1


async def test_registration_numbers_run_on_within_the_year(registry: Running) -> None:
    numbers = []
    for _ in range(3):
        response = await file(registry, filing(await put_patent(registry)))
        numbers.append(response.json()["registration_number"])
    year = numbers[0][1:5]
    assert numbers == [f"Y{year}{n:06d}" for n in (1, 2, 3)]


async def test_a_filing_is_refused_with_every_ground_found(registry: Running) -> None:
    patent = await put_patent(registry, holders=[STRANGER], frozen=True)
    beyond_term = (TERM_END + timedelta(days=1)).isoformat()
    response = await file(registry, filing(patent, performance_deadline=beyond_term))

    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["status"] == "refused"
    assert filed["registration_number"] is None
    assert codes(filed) == {"pledgor.not_patentee", "right.frozen", "deadline.beyond_term"}
    assert all(f["right"] == patent for f in filed["findings"])
    [refused] = await eventually(lambda: registry.events(PLEDGES_TOPIC, "registry.filing.refused"))
    assert {f["code"] for f in refused.payload["findings"]} == codes(filed)
    assert await registry.count(pledged_rights) == 0


async def test_an_unknown_patent_is_refused(registry: Running) -> None:
    unknown = new_patent_number()
    filed = (await file(registry, filing(unknown))).json()
    assert filed["status"] == "refused"
    assert [(f["code"], f["right"]) for f in filed["findings"]] == [("right.unknown", unknown)]


@pytest.mark.parametrize(
    ("field", "error_code"),
    [("uscc", "uscc.check_character"), ("patent", "patent_number.check_digit")],
)
async def test_an_invalid_identifier_is_rejected_and_nothing_is_stored(
    registry: Running, field: str, error_code: str
) -> None:
    patent = await put_patent(registry)
    if field == "uscc":
        body = filing(patent, pledgor=PLEDGOR | {"uscc": invalid_uscc(PLEDGOR["uscc"])})
    else:
        wrong_check = "0" if patent[-1] != "0" else "1"
        body = filing(patent[:-1] + wrong_check)

    response = await file(registry, body)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "request.invalid"
    assert error_code in [error["code"] for error in problem["errors"]]
    assert await registry.count(filings) == 0
    event_types = {row["event_type"] for row in await registry.rows(OUTBOX)}
    assert event_types == {"registry.patent.recorded"}
    assert registry.events(PLEDGES_TOPIC) == []


@pytest.mark.parametrize("acknowledged", [False, True], ids=["unacknowledged", "acknowledged"])
async def test_pending_invalidation_goes_to_an_examiner(
    registry: Running, acknowledged: bool
) -> None:
    patent = await put_patent(registry, invalidation_pending=True)
    acknowledgements = ["patent.invalidation_pending"] if acknowledged else []
    response = await file(registry, filing(patent, acknowledgements=acknowledgements))

    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["status"] == "in_examination"
    assert filed["registration_number"] is None
    [finding] = filed["findings"]
    assert finding["code"] == "patent.invalidation_pending"
    assert finding["severity"] == "warning"
    assert finding["acknowledged"] is acknowledged
    [queued] = await eventually(
        lambda: registry.events(PLEDGES_TOPIC, "registry.filing.queued_for_examination")
    )
    assert queued.aggregate_id == filed["filing_id"]
    assert registry.events(PLEDGES_TOPIC, "registry.pledge.registered") == []
    assert await registry.count(pledged_rights) == 0


async def test_concurrent_filings_for_one_patent_register_exactly_one(registry: Running) -> None:
    for _ in range(5):
        patent = await put_patent(registry)
        body = filing(patent)
        responses = await asyncio.gather(file(registry, body), file(registry, body))

        assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
        outcomes = sorted((r.json() for r in responses), key=lambda f: f["status"])
        refused, registered = outcomes
        assert (refused["status"], registered["status"]) == ("refused", "registered")
        assert [(f["code"], f["related"]) for f in refused["findings"]] == [
            ("right.already_pledged", [registered["registration_number"]])
        ]
        assert await registry.count(pledged_rights, pledged_rights.c.right_number == patent) == 1


async def test_a_filing_requested_by_credit_is_filed_on_the_credit_channel(
    registry: Running,
) -> None:
    patent = await put_patent(registry)
    reference = "loan-7f3c"
    payload = filing(patent, performance_deadline=days_from_today(400).isoformat())
    payload |= {"loan_id": reference, "filing_reference": reference, "trademarks": []}
    requested = envelope("credit.pledge_filing.requested", reference, payload)
    await publish(registry.bus, LOANS_TOPIC, requested)

    registered = await eventually(
        lambda: [
            e
            for e in registry.events(PLEDGES_TOPIC, "registry.pledge.registered")
            if e.payload["filing_reference"] == reference
        ]
    )
    assert len(registered) == 1
    [row] = await registry.rows(filings, filings.c.filing_reference == reference)
    assert row["channel"] == "credit"
    assert row["status"] == "registered"
    assert row["registration_number"] == registered[0].payload["registration_number"]
    filed = (await registry.client.get(f"/v1/pledge-filings/{row['filing_id']}")).json()
    assert filed["filing_reference"] == reference
    assert filed["channel"] == "credit"
    assert filed["patents"] == [patent]


async def test_a_bank_sees_only_its_own_filings_and_files_only_as_pledgee(
    registry: Running,
) -> None:
    patent = await put_patent(registry)
    filed = (await file(registry, filing(patent))).json()
    other_bank = bank_headers("bank-qingdao")

    seen_by_other = await registry.client.get(
        f"/v1/pledge-filings/{filed['filing_id']}", headers=other_bank
    )
    missing = await registry.client.get("/v1/pledge-filings/no-such-filing", headers=other_bank)
    pledge_seen_by_other = await registry.client.get(
        f"/v1/pledges/{filed['registration_number']}", headers=other_bank
    )
    filed_for_someone_else = await registry.client.post(
        "/v1/pledge-filings", json=filing(await put_patent(registry)), headers=other_bank
    )

    assert seen_by_other.status_code == missing.status_code == 404
    assert seen_by_other.json()["code"] == missing.json()["code"] == "filing.not_found"
    assert pledge_seen_by_other.status_code == 404
    assert filed_for_someone_else.status_code == 403
    assert filed_for_someone_else.json()["code"] == "filing.pledgee_not_caller"


async def test_a_uscc_claimed_in_a_credential_does_not_make_a_bank_another(
    registry: Running,
) -> None:
    patent = await put_patent(registry)
    filed = (await file(registry, filing(patent))).json()
    impostor = bank_headers("bank-qingdao", uscc=PLEDGEE["uscc"])
    registration = filed["registration_number"]

    read = await registry.client.get(f"/v1/pledge-filings/{filed['filing_id']}", headers=impostor)
    pledge = await registry.client.get(f"/v1/pledges/{registration}", headers=impostor)
    cancelled = await registry.client.post(
        f"/v1/pledges/{registration}/cancellation",
        json={"reason": "pledgee_waived"},
        headers=impostor,
    )
    filed_as_other = await registry.client.post(
        "/v1/pledge-filings", json=filing(await put_patent(registry)), headers=impostor
    )

    assert (read.status_code, read.json()["code"]) == (404, "filing.not_found")
    assert (pledge.status_code, pledge.json()["code"]) == (404, "pledge.not_found")
    assert (cancelled.status_code, cancelled.json()["code"]) == (404, "pledge.not_found")
    assert (filed_as_other.status_code, filed_as_other.json()["code"]) == (
        403,
        "filing.pledgee_not_caller",
    )
    still = (await registry.client.get(f"/v1/pledges/{registration}")).json()
    assert still["status"] == "active"


async def test_a_bank_the_directory_does_not_list_cannot_file(registry: Running) -> None:
    patent = await put_patent(registry)
    unknown = bank_headers("bank-nowhere", uscc=PLEDGEE["uscc"])

    response = await registry.client.post(
        "/v1/pledge-filings", json=filing(patent), headers=unknown
    )

    assert (response.status_code, response.json()["code"]) == (403, "bank.unknown")
    assert await registry.count(filings) == 0
