"""Whatever credit accepts, the registry and valuation can process: no dead letter, no stuck loan.

The three services run in-process on PostgreSQL (which refuses what SQLite would store, such as
a NUL), sharing one in-memory bus. The bank sends the nastiest application credit accepts:
names and addresses at their longest, in several scripts, with emoji, combining marks,
quotes, backslashes and markup; a purpose over several lines; identifiers in their loosest
accepted forms; the largest revenue. Its events go through valuation's and the registry's
consumers, and the loan reaches disbursement with its pledge registered under those names.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
import pytest

from services.credit.app import create_app as credit_app
from services.credit.settings import CreditSettings
from services.registry.app import create_app as registry_app
from services.registry.settings import RegistrySettings
from services.valuation.app import create_app as valuation_app
from services.valuation.settings import ValuationSettings
from shared.bus.memory import InMemoryBus
from shared.identifiers import make_uscc, patent_check_digit
from tests.conftest import migrated
from tests.credentials import ActingAs
from tests.dates import today
from tests.integration.conftest import envelope, eventually, publish

pytestmark = pytest.mark.postgres

# Today in Beijing: the date the registry compares grant dates and fee payments with.
TODAY = today()
USCC = make_uscc(61)
LOOSE_USCC = " " + " ".join(USCC[i : i + 6] for i in range(0, 18, 6)).lower() + " "
DIGITS = "201910000061"
LOOSE_PATENT = f"zl{DIGITS}{patent_check_digit(DIGITS)}".lower()
PATENT = f"{DIGITS}.{patent_check_digit(DIGITS)}"
TRADEMARK = "TM第00061234号"


def _fill(text: str, length: int) -> str:
    """`text` repeated to exactly `length` characters."""
    return (text * (length // len(text) + 1))[:length]


NAME_PARTS = (
    "上海镜片光学有限公司 ",
    "\uff33\uff48\uff41\uff4e\uff47\uff48\uff41\uff49 ",  # full-width Latin
    "Café Ñandú e\u0301 ",
    'O\'Brien "Optics" \\ `x` ',
    "<script>alert(1)</script> ",
    "'; DROP TABLE loans;-- ",
    "%s %(name)s {0} ${x} ",
    "😀👩\u200d🔬 ",
    "شركة ",
    "\u00a0\u3000",
)
NAME = _fill("".join(NAME_PARTS), 199) + " "
ADDRESS = _fill("".join(reversed(NAME_PARTS)), 500)
PURPOSE = _fill("working capital\r\nfor lenses:\tgrinding, 研磨\n", 500)


@dataclass
class System:
    bus: InMemoryBus
    registry: httpx.AsyncClient
    valuation: httpx.AsyncClient
    credit: httpx.AsyncClient


@pytest.fixture
async def system(make_database: Callable[[], Awaitable[str]]) -> AsyncIterator[System]:
    bus = InMemoryBus()
    common: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": "memory://",
        "http_port": 0,
        "outbox_poll_interval": 0.05,
    }
    apps = {
        "registry": registry_app(
            RegistrySettings(
                database_url=await migrated("registry", await make_database()), **common
            ),
            bus=bus,
        ),
        "valuation": valuation_app(
            ValuationSettings(
                database_url=await migrated("valuation", await make_database()), **common
            ),
            bus=bus,
        ),
        "credit": credit_app(
            CreditSettings(
                database_url=await migrated("credit", await make_database()),
                sweep_interval=3600,
                **common,
            ),
            bus=bus,
        ),
    }
    async with AsyncExitStack() as stack:
        clients = {}
        for name, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            clients[name] = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url=f"http://{name}",
                    auth=ActingAs(),
                )
            )
        yield System(bus, clients["registry"], clients["valuation"], clients["credit"])


def dead_letters(bus: InMemoryBus) -> dict[str, int]:
    return {
        topic: len(bus.messages(topic))
        for topic in list(bus._logs)
        if topic.startswith("pledgeflow.dlq.") and bus.messages(topic)
    }


async def enter_rights(system: System) -> None:
    holder = {"name": NAME, "uscc": LOOSE_USCC}
    patent = {
        "number": LOOSE_PATENT,
        "title": _fill("Aspheric lens grinding apparatus «研磨» 😀 ", 500),
        "holders": [holder],
        "filing_date": "2019-03-01",
        "grant_date": "2021-06-15",
        "legal_status": "valid",
        "fees_paid_through": str(TODAY + timedelta(days=730)),
        "main_ipc": "B24B13/00",
    }
    mark = {
        "number": TRADEMARK,
        "nice_class": 9,
        "goods": ["0901"],
        "mark": _fill("LENSOPT 镜 ", 200),
        "owner": holder,
        "valid_until": str(TODAY + timedelta(days=3650)),
    }
    entered = [
        await system.registry.put(f"/internal/v1/patents/{LOOSE_PATENT}", json=patent),
        await system.registry.put(f"/internal/v1/trademarks/{TRADEMARK}", json=mark),
    ]
    assert [r.status_code for r in entered] == [200, 200], [r.text for r in entered]
    for number in (PATENT, "61234"):
        await eventually(partial(_known, system, number), timeout=20)


async def _known(system: System, number: str) -> bool:
    return (await system.valuation.get(f"/internal/v1/rights/{number}")).status_code == 200


def nastiest_application(**changes: Any) -> dict[str, Any]:
    return {
        "enterprise": {
            "uscc": LOOSE_USCC,
            "name": NAME,
            "address": ADDRESS,
            "size_class": "small",
            "high_tech": True,
        },
        "requested_amount": "100000.01",
        "term_months": 12,
        "purpose": PURPOSE,
        "collateral": [
            {"right_type": "patent", "number": LOOSE_PATENT},
            {"right_type": "trademark", "number": TRADEMARK},
        ],
        "attributable_revenue": "9999999999999.99",
        "industry": _fill("Optics & Photonics / 光学 — \u2018unlisted\u2019 ", 64),
    } | changes


async def status_of(system: System, loan_id: str) -> str:
    return str((await system.credit.get(f"/v1/loans/{loan_id}")).json()["status"])


async def reaches(system: System, loan_id: str, *statuses: str) -> str:
    async def probe() -> str | None:
        status = await status_of(system, loan_id)
        return status if status in statuses else None

    return str(await eventually(probe, timeout=30))


def _enterprise(**changes: str) -> dict[str, Any]:
    return dict(nastiest_application()["enterprise"], **changes)


HOSTILE: dict[str, dict[str, Any]] = {
    "NUL in the name": {"enterprise": _enterprise(name="Lens\x00Optics")},
    "escape in the address": {"enterprise": _enterprise(address="1 Road\x1b[2J")},
    "name one character too long": {"enterprise": _enterprise(name="N" * 201)},
    "address one character too long": {"enterprise": _enterprise(address="A" * 501)},
    "NUL in the purpose": {"purpose": "working\x00capital"},
    "right-to-left override in the name": {"enterprise": _enterprise(name="Lens\u202eOptics")},
    "amount to the tenth of a fen": {"requested_amount": "100000.011"},
    "revenue too large to value": {"attributable_revenue": "10000000000000.00"},
    "control character in the industry": {"industry": "optics\x07"},
}


async def test_every_application_credit_accepts_is_disbursed_without_a_dead_letter(
    system: System,
) -> None:
    await enter_rights(system)
    accepted = []
    for case, changes in [*HOSTILE.items(), ("nastiest accepted", {})]:
        applied = await system.credit.post(
            "/v1/loan-applications", json=nastiest_application(**changes)
        )
        assert applied.status_code in {201, 422}, (case, applied.text)
        if applied.status_code == 201:
            accepted.append(case)
            await drive_to_the_registry(system, applied.json()["loan_id"])

    assert accepted == ["nastiest accepted"]
    assert dead_letters(system.bus) == {}


async def drive_to_the_registry(system: System, loan_id: str) -> None:
    """Take a loan through valuation, sign-off and acceptance until the registry answers."""
    status = await reaches(system, loan_id, "awaiting_signoff", "offered")
    if status == "awaiting_signoff":
        await approve_the_valuation(system)
    await reaches(system, loan_id, "offered")
    accepted = await system.credit.post(f"/v1/loans/{loan_id}/offer/accept")
    assert accepted.status_code == 200, accepted.text
    assert await reaches(system, loan_id, "disbursed", "offer_withdrawn") == "disbursed"
    assert dead_letters(system.bus) == {}
    loan = (await system.credit.get(f"/v1/loans/{loan_id}")).json()
    pledge = await system.registry.get(f"/v1/pledges/{loan['pledge_registration_number']}")
    assert pledge.status_code == 200, pledge.text
    assert pledge.json()["pledgor"] == {
        "name": NAME.strip(),
        "uscc": USCC,
        "address": ADDRESS.strip(),
    }
    assert pledge.json()["patents"] == [PATENT]
    assert pledge.json()["trademarks"] == ["61234"]


async def approve_the_valuation(system: System) -> None:
    appraiser = {"X-Appraiser-Id": "appraiser-li"}
    pending = await system.valuation.get("/internal/v1/appraisals/pending", headers=appraiser)
    [waiting] = pending.json()["items"]
    approved = await system.valuation.post(
        f"/internal/v1/appraisals/{waiting['valuation_id']}/approve",
        json={"reason": "inputs checked\r\nagainst the accounts\t✓"},
        headers=appraiser,
    )
    assert approved.status_code == 200, approved.text


async def test_the_largest_amounts_credit_accepts_are_valued_and_decided_without_a_dead_letter(
    system: System,
) -> None:
    await enter_rights(system)
    body = nastiest_application(requested_amount="9999999999999999.99")

    applied = await system.credit.post("/v1/loan-applications", json=body)

    assert applied.status_code == 201, applied.text
    loan_id = applied.json()["loan_id"]
    assert await reaches(system, loan_id, "awaiting_signoff", "declined") in {
        "awaiting_signoff",
        "declined",
    }
    await asyncio.sleep(0.3)
    assert dead_letters(system.bus) == {}


async def test_a_filing_request_with_a_control_character_is_dead_lettered_with_its_reason(
    system: System,
) -> None:
    party = {"name": "Lens\x00Optics", "uscc": USCC, "address": "1 Road"}
    payload = {
        "loan_id": "loan-1",
        "filing_reference": "loan-1",
        "pledgor": party,
        "pledgee": party | {"name": "Hangzhou Science and Technology Bank"},
        "debt_type": "loan",
        "secured_amount": "100000.00",
        "performance_deadline": str(TODAY + timedelta(days=365)),
        "patents": [PATENT],
        "trademarks": [],
        "scope_of_guarantee": "principal and interest",
        "requested_at": "2026-11-20T01:00:00+00:00",
    }
    event = envelope("credit.pledge_filing.requested", "loan-1", payload)

    await publish(system.bus, "pledgeflow.credit.loans", event)

    [letter] = await eventually(lambda: system.bus.messages("pledgeflow.dlq.registry.filings"))
    assert dict(letter.headers)["dlq.reason"] == b"payload.invalid"
    assert b"pledgor.name" in dict(letter.headers)["dlq.detail"]
