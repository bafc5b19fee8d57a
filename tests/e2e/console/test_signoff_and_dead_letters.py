"""An appraiser signs off a provisional valuation; an operator redrives a dead letter and finds
the redrive in the audit."""

from __future__ import annotations

import uuid

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from playwright.async_api import Page, expect

from shared.devconsole import LocalConsole
from shared.devstack import LocalStack
from shared.envelope import Envelope
from shared.identifiers import make_uscc, patent_check_digit
from tests.e2e.console.pages import (
    AppraisalsPage,
    AuditPage,
    DeadLettersPage,
    SignInPage,
    ValuationPage,
)
from tests.e2e.flows import BANK, application, load_patent, poll_loan

pytestmark = pytest.mark.broker

# Revenue this large values the patent above the automatic limit (5 million yuan).
LARGE_REVENUE = "900000000.00"


async def test_an_appraiser_approves_a_provisional_valuation(
    page: Page, stack: LocalStack, console: LocalConsole
) -> None:
    digits = f"20191{uuid.uuid4().int % 10_000_000:07d}"
    number, uscc = f"{digits}.{patent_check_digit(digits)}", make_uscc(707)
    async with httpx.AsyncClient(timeout=10) as client:
        await load_patent(client, stack, number, uscc)
        body = application(uscc, number) | {"attributable_revenue": LARGE_REVENUE}
        created = await client.post(
            f"{stack.url('credit')}/v1/loan-applications", json=body, headers=BANK
        )
        assert created.status_code == 201, created.text
        loan_id = created.json()["loan_id"]
        await poll_loan(client, stack, loan_id, "awaiting_signoff")

        await SignInPage(page).sign_in("appraiser-sun")
        appraisals = AppraisalsPage(page)
        await appraisals.open()
        await appraisals.open_valuation_for(loan_id)
        valuation = ValuationPage(page)
        await valuation.shows_range_and_drivers()
        await valuation.approve("Revenue checked against the audited accounts.")

        loan = await poll_loan(client, stack, loan_id, "offered")
    assert loan["appraised_value"]
    await expect(page.get_by_role("row").filter(has_text=loan_id[:8])).to_have_count(0)


async def _publish(bootstrap: str, topic: str, key: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


async def test_a_dead_letter_is_redriven_and_the_redrive_is_in_the_audit(
    page: Page, broker: str, console: LocalConsole
) -> None:
    poison = Envelope(
        event_type="registry.patent.recorded",
        schema_version=1,
        aggregate_id="not-a-patent",
        aggregate_version=1,
        producer="registry",
        payload={"number": "not-a-patent"},
        correlation_id=f"poison-{uuid.uuid4().hex[:8]}",
    )
    await _publish(broker, "pledgeflow.registry.rights", "not-a-patent", poison.to_json())

    await SignInPage(page).sign_in("operator-liu")
    letters = DeadLettersPage(page)
    await letters.open()
    await letters.wait_for(poison.event_id)
    row = page.get_by_role("row").filter(has_text=poison.event_id)
    await expect(row).to_contain_text("valuation.rights")
    await expect(row).to_contain_text("payload.invalid")

    await letters.redrive(poison.event_id)
    await expect(page.get_by_role("row").filter(has_text=poison.event_id).first).to_contain_text(
        "by operator-liu"
    )

    audit = AuditPage(page)
    await audit.open()
    entry = audit.entries().filter(has_text=poison.event_id)
    await expect(entry).to_have_count(1)
    await expect(entry).to_contain_text("operator-liu")
    await expect(entry).to_contain_text("redrive")
    await expect(entry).to_contain_text("pledgeflow.registry.rights")

    await letters.open()
    again = page.get_by_role("row").filter(has_text=poison.event_id)
    for _ in range(30):
        if await again.count() >= 2:
            break
        await page.wait_for_timeout(500)
        await page.reload()
    await expect(again).to_have_count(2)
