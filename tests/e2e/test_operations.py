"""Operator commands and the example insurer subscriber, against the running system."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from examples.insurer_subscriber import Ledger, follow
from shared import ops
from shared.devstack import EMBEDDED_SESSION_TIMEOUT_MS, LocalStack
from shared.envelope import Envelope
from shared.identifiers import make_uscc
from shared.tokens import Role, audience
from tests.cli import pledgeflow
from tests.credentials import ISSUER, bank_headers
from tests.e2e.flows import BANK, CASE_EVENTS, quick_loan

pytestmark = pytest.mark.broker


async def test_history_shows_one_case_across_every_service(
    stack: LocalStack, broker: str, unique_numbers: Callable[[], str]
) -> None:
    number, case = unique_numbers(), f"ops-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(timeout=10) as client:
        _, loan = await quick_loan(client, stack, make_uscc(404), number, case)
    result = await pledgeflow("history", case, "--json", "--bootstrap", broker)
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)
    assert [e["event_type"] for e in events] == CASE_EVENTS
    assert {e["producer"] for e in events} == {"credit", "valuation", "registry"}
    assert events[-1]["aggregate_id"] == loan["loan_id"]
    assert "scanned" in result.stderr

    table = await pledgeflow("history", case, env={"PLEDGEFLOW_KAFKA_BOOTSTRAP_SERVERS": broker})
    assert table.exit_code == 0, table.output
    assert "registry.pledge.registered" in table.stdout
    unknown = await pledgeflow("--bootstrap", broker, "history", f"no-such-{case}")
    assert unknown.exit_code == 1
    assert f"no events with correlation id no-such-{case}" in unknown.stderr


async def test_a_pledge_cancelled_behind_credits_back_is_reported_by_reconciliation(
    stack: LocalStack, unique_numbers: Callable[[], str]
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        _, kept = await quick_loan(client, stack, make_uscc(405), unique_numbers(), "rec-kept")
        _, lost = await quick_loan(client, stack, make_uscc(406), unique_numbers(), "rec-lost")
        number = lost["pledge_registration_number"]
        cancelled = await client.post(
            f"{stack.url('registry')}/v1/pledges/{number}/cancellation",
            json={"reason": "pledgee_waived"},
            headers=bank_headers("bank-hangzhou", audience=audience("registry")),
        )
        assert cancelled.status_code == 200, cancelled.text
    token = ISSUER.issue("operator-liu", Role.OPERATOR, audience=audience("credit"))
    found = await pledgeflow(
        "reconciliation", "run", "--credit", stack.url("credit"), "--token", token, "--json"
    )

    assert found.exit_code == 1, found.output
    mismatches = json.loads(found.stdout)["mismatches"]
    assert [m["reason"] for m in mismatches if m["loan_id"] == lost["loan_id"]] == [
        "pledge.cancelled"
    ]
    assert not [m for m in mismatches if m["loan_id"] == kept["loan_id"]]

    table = await pledgeflow("reconciliation", "show", "--credit", stack.url("credit"))
    assert table.exit_code == 4, table.output
    assert "PLEDGEFLOW_TOKEN" in table.stderr


async def _publish(broker: str, topic: str, key: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


async def _dead_letters_of(broker: str, consumer: str, event_id: str, count: int) -> list[dict]:
    for _ in range(150):
        found = [d for d in await ops.dead_letters(broker, consumer) if d["event_id"] == event_id]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"{count} dead letters for {event_id} never appeared")


async def test_a_dead_lettered_event_is_listed_with_its_reason_and_can_be_replayed(
    stack: LocalStack, broker: str
) -> None:
    bad = Envelope(
        event_type="registry.patent.recorded",
        schema_version=1,
        aggregate_id="not-a-patent",
        aggregate_version=1,
        producer="registry",
        payload={"number": "not-a-patent"},
        correlation_id="ops-poison",
    )
    await _publish(broker, "pledgeflow.registry.rights", "not-a-patent", bad.to_json())
    await _dead_letters_of(broker, "valuation.rights", bad.event_id, 1)
    listed = await pledgeflow("dead-letters", "valuation.rights", "--json", "--bootstrap", broker)
    assert listed.exit_code == 0, listed.output
    [letter] = [d for d in json.loads(listed.stdout) if d["event_id"] == bad.event_id]
    assert letter["reason"] == "payload.invalid"
    assert letter["source"].startswith("pledgeflow.registry.rights[")
    counts = await pledgeflow("dead-letters", "--bootstrap", broker)
    assert counts.exit_code == 0 and "valuation.rights" in counts.stdout

    missing = await pledgeflow("replay", "valuation.rights", "no-such-event", "--bootstrap", broker)
    assert missing.exit_code == 1
    assert "pledgeflow dead-letters valuation.rights" in missing.stderr
    replayed = await pledgeflow("replay", "valuation.rights", bad.event_id, "--bootstrap", broker)
    assert replayed.exit_code == 0, replayed.output
    assert f"replayed {bad.event_id} to pledgeflow.registry.rights" in replayed.stdout
    letters = await _dead_letters_of(broker, "valuation.rights", bad.event_id, 2)
    assert [d["reason"] for d in letters] == ["payload.invalid", "payload.invalid"]


async def test_the_example_subscriber_follows_a_disbursement_a_default_and_its_claim(
    stack: LocalStack, broker: str, unique_numbers: Callable[[], str]
) -> None:
    ledger, stop = Ledger(party="bank"), asyncio.Event()
    follower = asyncio.create_task(
        follow(
            broker,
            f"insurer-{uuid.uuid4().hex[:6]}",
            ledger,
            stop=stop,
            session_timeout_ms=EMBEDDED_SESSION_TIMEOUT_MS,
        )
    )
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            offer, loan = await quick_loan(
                client, stack, make_uscc(505), unique_numbers(), f"ins-{uuid.uuid4().hex[:6]}"
            )
            defaulted = await client.post(
                f"{stack.url('credit')}/v1/loans/{loan['loan_id']}/default",
                json={"declared_at": loan["disbursed_at"], "recovered_amount": "100000.00"},
                headers={**BANK, "Idempotency-Key": f"default-{loan['loan_id']}"},
            )
            assert defaulted.status_code == 200, defaulted.text
        for _ in range(150):
            if loan["loan_id"] in ledger.claims:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await follower
    approved = Decimal(offer["approved_amount"])
    assert ledger.exposure[loan["loan_id"]] == approved
    assert loan["loan_id"] in ledger.defaulted
    assert ledger.claims[loan["loan_id"]] == approved - Decimal("100000.00")
