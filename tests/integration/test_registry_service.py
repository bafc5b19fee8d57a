"""The registry on PostgreSQL with its real migrations, outbox relay and consumer: a filing
through the HTTP wiring and through credit's events, and the races only a database settles.

The registry's behaviour is tested on in-memory storage in tests/unit/test_registry_*.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.registry.adapters.orm import filings, pledged_rights
from services.registry.app import create_app
from services.registry.domain.events import PLEDGES_TOPIC
from services.registry.settings import RegistrySettings
from shared.topics import CREDIT_LOANS
from tests.conftest import MakeDatabase
from tests.dates import beijing, days_from_today
from tests.integration.conftest import Running, at, eventually, publish, running
from tests.unit.registry_harness import (
    act,
    claim,
    examined,
    file,
    filing,
    filing_requested,
    instant,
    put_patent,
)

__all__ = ["PLEDGES_TOPIC", "events_of", "filing", "put_patent", "registered", "registry"]

pytestmark = pytest.mark.postgres


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


async def registered(service: Running, **patent: Any) -> tuple[str, dict[str, Any]]:
    """A patent entered on the register and pledged at once."""
    number = await put_patent(service, **patent)
    response = await file(service, filing(number))
    filed = response.json()
    assert filed["status"] == "registered", response.text
    return number, dict(filed)


async def events_of(service: Running, event_type: str, count: int = 1) -> list[Any]:
    """The registry's events of a type on the bus, once the relay published `count` of them."""
    await eventually(lambda: len(service.events(PLEDGES_TOPIC, event_type)) >= count)
    return service.events(PLEDGES_TOPIC, event_type)


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

    [registered] = await events_of(registry, "registry.pledge.registered")
    assert registered.aggregate_id == filed["filing_id"]
    assert registered.payload["registration_number"] == filed["registration_number"]
    assert registered.payload["patents"] == [patent]
    assert registered.payload["secured_amount"] == "300000.00"
    assert registered.payload["within_deadline"] is True
    assert await registry.count(pledged_rights, pledged_rights.c.right_number == patent) == 1


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
    body = filing(patent, performance_deadline=days_from_today(400).isoformat())
    await publish(registry.bus, CREDIT_LOANS, filing_requested(reference, body))

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
        assert lost.json()["code"] == "right.already_pledged"
        assert await registry.count(pledged_rights, pledged_rights.c.right_number == patent) == 1
