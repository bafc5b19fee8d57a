"""The examiner's desk on PostgreSQL: queue, claims, decisions, corrections and their clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.registry.adapters.orm import pledged_rights
from services.registry.app import create_app
from services.registry.domain.events import PLEDGES_TOPIC
from services.registry.settings import RegistrySettings
from shared.auth import Role
from shared.workdays import BEIJING, OfficialCalendar, deadline_for
from tests.conftest import MakeDatabase
from tests.credentials import bank_headers, staff_headers
from tests.integration.conftest import Running, at, eventually, running
from tests.integration.test_registry_service import file, filing, instant, put_patent

pytestmark = pytest.mark.postgres

ACK = ["patent.invalidation_pending"]
DESK = "/internal/v1/examination"


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


def beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def as_examiner(name: str) -> dict[str, str]:
    return {"X-Examiner-Id": name}


async def examined(service: Running, acknowledged: bool = True, **changes: Any) -> dict[str, Any]:
    """A filing the checks send to an examiner (a pending invalidation)."""
    patent = changes.pop("patent", None) or await put_patent(service, invalidation_pending=True)
    body = filing(patent, acknowledgements=ACK if acknowledged else [], **changes)
    response = await file(service, body)
    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["status"] == "in_examination"
    return filed


async def act(
    service: Running, filing_id: str, action: str, examiner: str, body: Any = None
) -> httpx.Response:
    url = f"{DESK}/filings/{filing_id}/{action}"
    return await service.client.post(url, json=body, headers=as_examiner(examiner))


async def claim(service: Running, filing_id: str, examiner: str) -> dict[str, Any]:
    response = await act(service, filing_id, "claim", examiner)
    assert response.status_code == 200, response.text
    return response.json()


def problem_code(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["code"])


async def pledge_events(service: Running, event_type: str, count: int) -> list[Any]:
    await eventually(lambda: len(service.events(PLEDGES_TOPIC, event_type)) >= count)
    return service.events(PLEDGES_TOPIC, event_type)


async def test_only_examiners_and_supervisors_work_the_desk(registry: Running) -> None:
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
    registry: Running,
) -> None:
    received = [beijing(2026, 3, 4, 10), beijing(2026, 3, 2, 10), beijing(2026, 3, 3, 10)]
    ids = []
    for moment in received:
        at(registry, moment)
        ids.append((await examined(registry))["filing_id"])
    await registry.client.post("/v1/pledge-filings", json=filing(await put_patent(registry)))
    at(registry, beijing(2026, 3, 4, 12))

    first = await registry.client.get(f"{DESK}/queue?limit=2", headers=as_examiner("exa"))
    second = await registry.client.get(f"{DESK}/queue?limit=2&offset=2", headers=as_examiner("exa"))

    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [item["filing_id"] for item in page["items"]] == [ids[1], ids[2]]
    assert [item["overdue"] for item in page["items"]] == [True, False]
    due = [instant(item["deadline_at"]) for item in page["items"]]
    calendar = OfficialCalendar()
    assert due == [deadline_for(received[i], 1, calendar) for i in (1, 2)]
    [last] = second.json()["items"]
    assert (last["filing_id"], last["overdue"]) == (ids[0], False)
    assert last["findings"][0]["code"] == "patent.invalidation_pending"
    assert last["claimed_by"] is None
    assert last["deadline_provisional"] is False


async def test_an_examiner_claims_and_another_cannot(registry: Running) -> None:
    filing_id = (await examined(registry))["filing_id"]

    claimed = await claim(registry, filing_id, "exa")
    taken = await act(registry, filing_id, "claim", "exb")
    again = await claim(registry, filing_id, "exa")

    assert claimed["claimed_by"] == "exa"
    assert [(d["action"], d["examiner"]) for d in claimed["decisions"]] == [("claimed", "exa")]
    assert taken.status_code == 409
    assert problem_code(taken) == "filing.claimed_by_other"
    assert again["decisions"] == claimed["decisions"]
    [event] = await pledge_events(registry, "registry.filing.claimed", 1)
    assert event.aggregate_id == filing_id
    assert event.payload["claimed_by"] == "exa"
    queue = (await registry.client.get(f"{DESK}/queue", headers=as_examiner("exb"))).json()
    assert queue["items"][0]["claimed_by"] == "exa"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("register", None),
        ("refuse", {"reasons": [{"code": "contract.incomplete", "message": "Scope unclear."}]}),
        (
            "request-correction",
            {"fields": ["scope_of_guarantee"], "message": "State the scope of guarantee."},
        ),
    ],
)
async def test_only_the_claiming_examiner_decides(
    registry: Running, action: str, body: Any
) -> None:
    filing_id = (await examined(registry))["filing_id"]
    unclaimed = await act(registry, filing_id, action, "exa", body)
    await claim(registry, filing_id, "exa")
    other = await act(registry, filing_id, action, "exb", body)

    assert (unclaimed.status_code, problem_code(unclaimed)) == (409, "filing.not_claimed")
    assert (other.status_code, problem_code(other)) == (409, "filing.claimed_by_other")
    current = (await registry.client.get(f"/v1/pledge-filings/{filing_id}")).json()
    assert current["status"] == "in_examination"
    assert [d["action"] for d in current["decisions"]] == ["claimed"]


async def test_decisions_on_a_filing_not_in_examination_are_refused(registry: Running) -> None:
    clean = (await file(registry, filing(await put_patent(registry)))).json()
    assert clean["status"] == "registered"
    for action in ("claim", "register"):
        response = await act(registry, clean["filing_id"], action, "exa")
        assert (response.status_code, problem_code(response)) == (
            409,
            "filing.not_in_examination",
        )
    unknown = await act(registry, "no-such-filing", "claim", "exa")
    assert (unknown.status_code, problem_code(unknown)) == (404, "filing.not_found")


async def test_the_claiming_examiner_registers_the_pledge(registry: Running) -> None:
    filed = await examined(registry)
    await claim(registry, filed["filing_id"], "exa")

    response = await act(registry, filed["filing_id"], "register", "exa")

    assert response.status_code == 200, response.text
    registered = response.json()
    assert registered["status"] == "registered"
    assert registered["registration_number"].startswith("Y")
    assert registered["decided_by"] == "exa"
    assert [(d["action"], d["examiner"]) for d in registered["decisions"]] == [
        ("claimed", "exa"),
        ("registered", "exa"),
    ]
    [patent] = filed["patents"]
    rows = await registry.rows(pledged_rights, pledged_rights.c.right_number == patent)
    assert [row["registration_number"] for row in rows] == [registered["registration_number"]]
    [event] = await pledge_events(registry, "registry.pledge.registered", 1)
    assert event.payload["decided_by"] == "exa"
    assert event.payload["registration_number"] == registered["registration_number"]
    queue = (await registry.client.get(f"{DESK}/queue", headers=as_examiner("exa"))).json()
    assert queue["total"] == 0


async def test_an_unacknowledged_warning_cannot_be_registered(registry: Running) -> None:
    filing_id = (await examined(registry, acknowledged=False))["filing_id"]
    await claim(registry, filing_id, "exa")
    response = await act(registry, filing_id, "register", "exa")
    assert (response.status_code, problem_code(response)) == (
        409,
        "filing.acknowledgement_missing",
    )


async def test_a_right_pledged_meanwhile_cannot_be_registered(registry: Running) -> None:
    patent = await put_patent(registry, invalidation_pending=True)
    first = (await examined(registry, patent=patent))["filing_id"]
    second = (await examined(registry, patent=patent))["filing_id"]
    await claim(registry, first, "exa")
    await claim(registry, second, "exb")
    assert (await act(registry, second, "register", "exb")).status_code == 200

    response = await act(registry, first, "register", "exa")

    assert (response.status_code, problem_code(response)) == (409, "right.already_pledged")
    current = (await registry.client.get(f"/v1/pledge-filings/{first}")).json()
    assert (current["status"], current["registration_number"]) == ("in_examination", None)
    assert await registry.count(pledged_rights, pledged_rights.c.right_number == patent) == 1


async def test_racing_examiners_register_one_pledge_per_right(registry: Running) -> None:
    for _ in range(3):
        patent = await put_patent(registry, invalidation_pending=True)
        ids = [(await examined(registry, patent=patent))["filing_id"] for _ in range(2)]
        await claim(registry, ids[0], "exa")
        await claim(registry, ids[1], "exb")

        responses = await asyncio.gather(
            act(registry, ids[0], "register", "exa"), act(registry, ids[1], "register", "exb")
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409], [r.text for r in responses]
        [lost] = [r for r in responses if r.status_code == 409]
        assert problem_code(lost) == "right.already_pledged"
        assert await registry.count(pledged_rights, pledged_rights.c.right_number == patent) == 1


async def test_the_claiming_examiner_refuses_with_reasons(registry: Running) -> None:
    filing_id = (await examined(registry))["filing_id"]
    await claim(registry, filing_id, "exa")
    empty = await act(registry, filing_id, "refuse", "exa", {"reasons": []})
    reason = {"code": "contract.incomplete", "message": "The scope of guarantee is unclear."}

    response = await act(registry, filing_id, "refuse", "exa", {"reasons": [reason]})

    assert (empty.status_code, problem_code(empty)) == (422, "request.invalid")
    assert response.status_code == 200, response.text
    refused = response.json()
    assert (refused["status"], refused["decided_by"]) == ("refused", "exa")
    assert refused["decisions"][-1]["reasons"] == [reason]
    [event] = await pledge_events(registry, "registry.filing.refused", 1)
    assert event.payload["decided_by"] == "exa"
    assert event.payload["reasons"] == [reason]
    assert event.payload["findings"][0]["code"] == reason["code"]


async def test_a_correction_restarts_the_clock_from_its_beijing_date(registry: Running) -> None:
    at(registry, beijing(2026, 1, 8, 10))
    filed = await examined(registry, acknowledged=False)
    filing_id = filed["filing_id"]
    await claim(registry, filing_id, "exa")
    at(registry, beijing(2026, 1, 8, 15))
    asked = await act(
        registry,
        filing_id,
        "request-correction",
        "exa",
        {"fields": ["acknowledgements"], "message": "Acknowledge it."},
    )
    assert asked.json()["status"] == "awaiting_correction"
    queue = (await registry.client.get(f"{DESK}/queue", headers=as_examiner("exa"))).json()
    assert queue["total"] == 0

    friday_evening = beijing(2026, 1, 9, 20, 30)
    at(registry, friday_evening)
    body = filing(*filed["patents"], acknowledgements=ACK)
    response = await registry.client.post(f"/v1/pledge-filings/{filing_id}/correction", json=body)

    assert response.status_code == 200, response.text
    corrected = response.json()
    due = instant(corrected["deadline_at"])
    assert due == deadline_for(friday_evening, 1, OfficialCalendar())
    assert due == datetime(2026, 1, 12, 16, 0, tzinfo=UTC)
    assert due.astimezone(BEIJING) == beijing(2026, 1, 13, 0)
    assert instant(corrected["corrected_at"]) == friday_evening
    assert corrected["status"] == "in_examination"
    assert corrected["claimed_by"] == "exa"
    assert corrected["findings"][0]["acknowledged"] is True
    [event] = await pledge_events(registry, "registry.filing.corrected", 1)
    assert instant(event.payload["deadline_at"]) == due
    await pledge_events(registry, "registry.filing.correction_requested", 1)
    at(registry, beijing(2026, 1, 12, 9))
    assert (await act(registry, filing_id, "register", "exa")).status_code == 200


async def test_a_correction_must_have_been_asked_for(registry: Running) -> None:
    filed = await examined(registry)
    response = await registry.client.post(
        f"/v1/pledge-filings/{filed['filing_id']}/correction", json=filing(*filed["patents"])
    )
    assert (response.status_code, problem_code(response)) == (
        409,
        "filing.not_awaiting_correction",
    )


async def test_a_correction_that_breaks_a_rule_is_refused(registry: Running) -> None:
    filed = await examined(registry)
    await claim(registry, filed["filing_id"], "exa")
    fields = {"fields": ["performance_deadline"], "message": "Fix."}
    await act(registry, filed["filing_id"], "request-correction", "exa", fields)
    beyond_term = (date.today() + timedelta(days=365 * 30)).isoformat()

    response = await registry.client.post(
        f"/v1/pledge-filings/{filed['filing_id']}/correction",
        json=filing(*filed["patents"], performance_deadline=beyond_term, acknowledgements=ACK),
    )

    corrected = response.json()
    assert (corrected["status"], corrected["decided_by"]) == ("refused", None)
    assert corrected["performance_deadline"] == beyond_term
    assert {f["code"] for f in corrected["findings"]} >= {"deadline.beyond_term"}
