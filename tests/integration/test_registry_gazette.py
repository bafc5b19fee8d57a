"""The public register on PostgreSQL: every registration, change and cancellation, queried."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from services.registry.adapters.orm import register_entries
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from tests.conftest import MakeDatabase
from tests.dates import years_from_today
from tests.integration.conftest import Running, at, running
from tests.integration.test_registry_examination import act, beijing, claim, examined
from tests.integration.test_registry_service import (
    PLEDGEE,
    PLEDGOR,
    STRANGER,
    file,
    filing,
    instant,
    put_patent,
)

pytestmark = pytest.mark.postgres

OTHER_BANK = {
    "name": "Qingdao Innovation Bank",
    "uscc": "913702007180012344",
    "address": "6 Hong Kong Middle Road, Qingdao",
}
_marks = itertools.count(71000001)


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


async def put_trademark(service: Running) -> str:
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


async def registered(service: Running, moment: datetime, body: dict[str, Any]) -> dict[str, Any]:
    at(service, moment)
    filed = (await file(service, body)).json()
    assert filed["status"] == "registered", filed["findings"]
    return filed


async def entries(service: Running, query: str = "") -> dict[str, Any]:
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
async def register(registry: Running) -> Register:
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


async def test_every_entry_is_listed_newest_first(registry: Running, register: Register) -> None:
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
    registry: Running, register: Register
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


async def test_entries_of_a_party_are_paged(registry: Running, register: Register) -> None:
    r = register
    by_bank = await entries(registry, f"?party_uscc={OTHER_BANK['uscc']}")
    by_pledgor = await entries(registry, f"?party_uscc={PLEDGOR['uscc']}&limit=2&offset=1")
    stranger = await entries(registry, f"?party_uscc={STRANGER['uscc']}")

    assert lines(by_bank) == [("registration", r.p2, r.r2), ("registration", r.mark, r.r2)]
    assert (by_pledgor["total"], by_pledgor["limit"], by_pledgor["offset"]) == (6, 2, 1)
    assert lines(by_pledgor) == [("cancellation", r.p1, r.r1), ("change", r.p1, r.r1)]
    assert (stranger["total"], stranger["items"]) == (0, [])


async def test_entries_by_beijing_entry_date(registry: Running, register: Register) -> None:
    period = await entries(registry, "?from=2026-03-03&to=2026-03-05")
    after_midnight = await entries(registry, "?from=2026-03-06")

    assert [e["entry_type"] for e in period["items"]] == [
        "cancellation",
        "change",
        "registration",
        "registration",
    ]
    assert lines(after_midnight) == [("registration", register.p3, register.r3)]


async def test_only_registrations_by_any_route_enter_the_register(registry: Running) -> None:
    refused = (await file(registry, filing(await put_patent(registry, frozen=True)))).json()
    filed = await examined(registry)
    await claim(registry, filed["filing_id"], "exa")
    assert refused["status"] == "refused"
    assert await registry.count(register_entries) == 0

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
async def test_bad_queries_are_rejected(registry: Running, query: str, code: str) -> None:
    response = await registry.client.get(f"/v1/register/entries{query}")
    problem = response.json()
    assert response.status_code == 422
    assert code in {problem["code"]} | {e["code"] for e in problem.get("errors", [])}
