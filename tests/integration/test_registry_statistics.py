"""The registration desk's statistics on PostgreSQL, over a small set of known filings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from tests.conftest import MakeDatabase
from tests.integration.conftest import Running, running
from tests.integration.test_registry_examination import act, at, beijing, claim, examined
from tests.integration.test_registry_service import file, filing, put_patent

pytestmark = pytest.mark.postgres

SCOPE_UNCLEAR = {"code": "contract.incomplete", "message": "The scope is unclear."}


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


async def statistics(service: Running, query: str = "") -> dict[str, Any]:
    response = await service.client.get(f"/internal/v1/statistics{query}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def known_filings(service: Running) -> None:
    """Received on Monday 2 March 2026 (Beijing), due by the end of Tuesday 3 March."""
    at(service, beijing(2026, 3, 2, 10))
    assert await file(service, filing(await put_patent(service)))
    frozen = await put_patent(service, frozen=True)
    assert (await file(service, filing(frozen))).json()["status"] == "refused"
    quick, late, _pending = [(await examined(service))["filing_id"] for _ in range(3)]
    await claim(service, quick, "exa")
    await claim(service, late, "exb")
    at(service, beijing(2026, 3, 2, 11))
    assert (await act(service, quick, "register", "exa")).status_code == 200
    at(service, beijing(2026, 3, 4, 10))
    refusal = {"reasons": [SCOPE_UNCLEAR]}
    assert (await act(service, late, "refuse", "exb", refusal)).status_code == 200
    at(service, beijing(2026, 3, 10, 9))
    assert (await file(service, filing(await put_patent(service)))).json()["status"] == "registered"


async def test_figures_over_a_period(registry: Running) -> None:
    await known_filings(registry)

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


async def test_figures_over_all_time_and_empty_periods(registry: Running) -> None:
    await known_filings(registry)

    everything = await statistics(registry)
    nothing = await statistics(registry, "?from=2026-04-01&to=2026-04-30")
    backwards = await registry.client.get("/internal/v1/statistics?from=2026-03-05&to=2026-03-01")

    assert (everything["received"], everything["registered"], everything["refused"]) == (6, 3, 2)
    assert everything["median_seconds_to_decision"] == 0.0
    assert everything["decided_within_deadline_share"] == 0.8
    assert nothing["received"] == 0
    assert nothing["median_seconds_to_decision"] is None
    assert nothing["decided_within_deadline_share"] is None
    assert (backwards.status_code, backwards.json()["code"]) == (422, "period.invalid")
