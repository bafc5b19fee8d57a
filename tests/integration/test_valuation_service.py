"""Valuation on PostgreSQL with its real migrations, consumers and outbox relay: a loan valued
once, sign-off, pledged collateral and impairment, reproduction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from services.valuation.adapters.orm import (
    impairments,
    loan_collateral,
    pledged_collateral,
    signoffs,
    valuations,
)
from services.valuation.app import create_app
from services.valuation.domain.records import RightRef
from services.valuation.service_layer.commands import BankFigures, ValueApplication
from services.valuation.settings import ValuationSettings
from shared.messagebus import resource_id
from shared.topics import CREDIT_LOANS as LOANS_TOPIC
from shared.topics import REGISTRY_RIGHTS as RIGHTS_TOPIC
from shared.topics import VALUATIONS as VALUATIONS_TOPIC
from tests.conftest import MakeDatabase
from tests.integration.conftest import Running, envelope, eventually, publish, running
from tests.unit.valuation_harness import (
    application_payload,
    patent_payload,
    trademark_payload,
)

pytestmark = pytest.mark.postgres

PATENT = "202010123456.2"
TRADEMARK = "31234567"
APPRAISER = {"X-Appraiser-Id": "appraiser-wang"}


@pytest.fixture
async def valuation(make_database: MakeDatabase) -> AsyncIterator[Running]:
    url = await make_database("valuation")
    settings = ValuationSettings(
        environment="test",
        database_url=url,
        kafka_bootstrap_servers="memory://",
        http_port=0,
        outbox_poll_interval=0.05,
    )
    async with running(create_app, settings) as service:
        yield service


async def test_a_loan_application_is_valued_once_and_the_valuation_follows_its_case(
    valuation: Running,
) -> None:
    completed = await _valued_loan(valuation, revenue="8000000.00")
    loan_id = completed["reference"]
    [event] = valuation.events(VALUATIONS_TOPIC, "valuation.completed")
    [application] = valuation.events(LOANS_TOPIC, "credit.application.submitted")
    assert (event.producer, event.aggregate_id, event.aggregate_version) == (
        "valuation",
        completed["valuation_id"],
        1,
    )
    assert (event.correlation_id, event.causation_id) == (
        application.correlation_id,
        application.event_id,
    )

    republished = replace(application, event_id=str(uuid.uuid4()))
    await publish(valuation.bus, LOANS_TOPIC, republished)
    await eventually(lambda: valuation.handled("valuation.applications") == 2)
    assert await valuation.count(valuations, valuations.c.reference == loan_id) == 1
    assert len(valuation.events(VALUATIONS_TOPIC, "valuation.completed")) == 1


async def test_concurrent_deliveries_of_one_application_make_one_valuation(
    valuation: Running,
) -> None:
    command = ValueApplication(
        loan_id=str(uuid.uuid4()),
        rights=(RightRef("patent", PATENT),),
        figures=BankFigures(annual_revenue=Decimal("1000000.00")),
    )

    concurrent = await asyncio.gather(
        *(valuation.runtime.messages.handle(command) for _ in range(4))
    )

    made = {resource_id(handled.result) for handled in concurrent}
    assert len(made) == 1 and None not in made
    assert await valuation.count(valuations, valuations.c.reference == command.loan_id) == 1
    await eventually(lambda: valuation.events(VALUATIONS_TOPIC, "valuation.completed"))
    assert len(valuation.events(VALUATIONS_TOPIC, "valuation.completed")) == 1


async def test_provisional_valuation_is_adjusted_and_reproducible(valuation: Running) -> None:
    completed = await _valued_loan(valuation, revenue="80000000.00")
    valuation_id = completed["valuation_id"]
    assert completed["status"] == "provisional"

    pending = await valuation.client.get("/internal/v1/appraisals/pending", headers=APPRAISER)
    assert [v["valuation_id"] for v in pending.json()["items"]] == [valuation_id]
    assert await awaiting_signoff(valuation) == 1
    body = {"low": "6000000.00", "central": "7000000.01", "high": "8000000.00", "reason": "peer"}
    adjusted = await valuation.client.post(
        f"/internal/v1/appraisals/{valuation_id}/adjust", json=body, headers=APPRAISER
    )
    assert adjusted.status_code == 200, adjusted.text
    [signed] = await eventually(lambda: valuation.events(VALUATIONS_TOPIC, "valuation.signed_off"))
    rights = signed.payload["rights"]
    assert sum(Decimal(r["central"]) for r in rights) == Decimal("7000000.01")
    [row] = await valuation.rows(signoffs)
    assert (row["appraiser_id"], row["outcome"]) == ("appraiser-wang", "adjusted")
    assert row["before_central"] == Decimal(completed["central"])
    assert row["after_central"] == Decimal("7000000.01")
    await asyncio.sleep(1.1)  # the figures are read at most once a second
    assert await awaiting_signoff(valuation) == 0

    replay = await valuation.client.post(f"/internal/v1/valuations/{valuation_id}/reproduce")
    assert replay.json()["matches"] is True, replay.json()


async def test_lapse_of_a_pledged_right_impairs_the_loan_once(valuation: Running) -> None:
    completed = await _valued_loan(valuation, revenue="8000000.00")
    loan_id = completed["reference"]
    disbursed = envelope("credit.loan.disbursed", loan_id, {"loan_id": loan_id})
    await publish(valuation.bus, LOANS_TOPIC, disbursed)
    await eventually(lambda: valuation.count(pledged_collateral))

    for version in (2, 3):
        lapse = envelope("registry.patent.recorded", PATENT, patent_payload(PATENT, "terminated"))
        await publish(valuation.bus, RIGHTS_TOPIC, replace(lapse, aggregate_version=version))
    await eventually(lambda: valuation.handled("valuation.rights") == 4)

    [impaired] = await eventually(lambda: valuation.events(VALUATIONS_TOPIC, "valuation.impaired"))
    assert impaired.payload["reason"] == "right.lapsed"
    assert impaired.payload["previous_central"] == completed["central"]
    [row] = await valuation.rows(impairments)
    assert (row["loan_reference"], row["right_number"]) == (loan_id, PATENT)
    [followed] = await valuation.rows(loan_collateral)
    assert (followed["valuation_id"], followed["version"]) == (impaired.payload["valuation_id"], 1)


async def _valued_loan(valuation: Running, revenue: str) -> dict[str, Any]:
    await publish(
        valuation.bus,
        RIGHTS_TOPIC,
        envelope("registry.patent.recorded", PATENT, patent_payload(PATENT)),
    )
    await publish(
        valuation.bus,
        RIGHTS_TOPIC,
        envelope("registry.trademark.recorded", TRADEMARK, trademark_payload(TRADEMARK)),
    )
    await eventually(lambda: valuation.handled("valuation.rights") == 2)
    loan_id = str(uuid.uuid4())
    collateral = [("patent", PATENT), ("trademark", TRADEMARK)]
    application = application_payload(loan_id, collateral, revenue)
    await publish(
        valuation.bus, LOANS_TOPIC, envelope("credit.application.submitted", loan_id, application)
    )
    [completed] = await eventually(
        lambda: valuation.events(VALUATIONS_TOPIC, "valuation.completed")
    )
    return dict(completed.payload)


async def awaiting_signoff(valuation: Running) -> float:
    """Valuations waiting for sign-off, as the service's /metrics shows them."""
    from prometheus_client.parser import text_string_to_metric_families

    exposition = (await valuation.client.get("/metrics")).text
    [family] = [
        f
        for f in text_string_to_metric_families(exposition)
        if f.name == "pledgeflow_valuations_awaiting_signoff"
    ]
    return family.samples[0].value
