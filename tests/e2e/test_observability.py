"""What an operator sees of a running stack from outside: the services' metrics over HTTP,
and the trace context on every record of a loan."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from shared.devstack import LocalStack
from shared.identifiers import make_uscc
from tests.e2e.conftest import TopicWatcher
from tests.e2e.flows import BANK, application, load_patent, poll_loan, quick_loan

pytestmark = pytest.mark.broker

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient, stack: LocalStack, service: str) -> Samples:
    """Every sample of a service's `/metrics`, by name and labels."""
    response = await client.get(f"{stack.url(service)}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


async def test_a_quick_loan_moves_the_figures_each_service_shows_at_metrics(
    stack: LocalStack, unique_numbers: Callable[[], str]
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        before = {s: await scrape(client, stack, s) for s in ("registry", "valuation", "credit")}
        offered, loan = await quick_loan(
            client, stack, make_uscc(404), unique_numbers(), "case-metrics"
        )
        await asyncio.sleep(1.1)  # the figures are read from the database at most once a second
        after = {s: await scrape(client, stack, s) for s in ("registry", "valuation", "credit")}

    credit_before, credit = before["credit"], after["credit"]
    disbursed = "pledgeflow_credit_loans"
    assert value(credit, disbursed, status="disbursed") == (
        value(credit_before, disbursed, status="disbursed") + 1
    )
    consumed = "pledgeflow_credit_quota_consumed_yuan"
    grown = value(credit, consumed, bank="bank-hangzhou") - value(
        credit_before, consumed, bank="bank-hangzhou"
    )
    assert Decimal(str(grown)).quantize(Decimal("0.01")) == Decimal(loan["approved_amount"])
    assert value(credit, "pledgeflow_credit_quota_total_yuan", bank="bank-hangzhou") > 0

    applied = {"route": "/v1/loan-applications", "method": "POST", "status": "201"}
    assert value(credit, "pledgeflow_http_requests_total", **applied) == (
        value(credit_before, "pledgeflow_http_requests_total", **applied) + 1
    )
    assert total(credit, "pledgeflow_http_request_duration_seconds_count") > total(
        credit_before, "pledgeflow_http_request_duration_seconds_count"
    )

    for service, event_type in (
        ("valuation", "credit.application.submitted"),
        ("credit", "valuation.completed"),
        ("registry", "credit.pledge_filing.requested"),
        ("credit", "registry.pledge.registered"),
    ):
        handled = {"event_type": event_type, "outcome": "handled"}
        grew = total(after[service], "pledgeflow_events_handled_total", **handled) - total(
            before[service], "pledgeflow_events_handled_total", **handled
        )
        assert grew >= 1, f"{service} shows no {event_type} handled"
        assert total(after[service], "pledgeflow_event_handler_duration_seconds_count") > 0

    for service in ("registry", "valuation", "credit"):
        samples = after[service]
        lags = [k for k in samples if k[0] == "pledgeflow_consumer_lag"]
        assert lags, f"{service} shows no consumer lag"
        assert all(dict(labels).keys() == {"consumer", "topic", "partition"} for _, labels in lags)
        assert ("pledgeflow_outbox_backlog", frozenset()) in samples
        assert ("pledgeflow_outbox_oldest_unsent_age_seconds", frozenset()) in samples
        assert total(samples, "pledgeflow_outbox_published_total") > total(
            before[service], "pledgeflow_outbox_published_total"
        )
        assert total(samples, "pledgeflow_outbox_delay_seconds_count") > 0
        assert total(samples, "pledgeflow_outbox_publish_duration_seconds_count") > 0

    registry = after["registry"]
    for name in (
        "pledgeflow_registry_filings_due_today",
        "pledgeflow_registry_filings_overdue",
        "pledgeflow_registry_filings_sla_breached",
    ):
        assert (name, frozenset()) in registry, f"registry does not show {name}"
    assert ("pledgeflow_registry_filings_open", frozenset({("status", "received")})) in registry
    assert ("pledgeflow_valuations_awaiting_signoff", frozenset()) in after["valuation"]
    assert offered["status"] == "offered"


TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


async def records_of(broker: str, topic: str, wanted: Callable[[dict], bool]) -> list[Any]:
    """The records of `topic` whose event satisfies `wanted`, headers included."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        found = []
        batches = await consumer.getmany(timeout_ms=3000, max_records=10_000)
        for messages in batches.values():
            found += [m for m in messages if wanted(json.loads(m.value))]
        return found
    finally:
        await consumer.stop()


async def test_every_record_of_a_loan_carries_the_banks_trace_context(
    stack: LocalStack,
    broker: str,
    watcher: TopicWatcher,
    unique_numbers: Callable[[], str],
) -> None:
    uscc, number = make_uscc(606), unique_numbers()
    bank_trace = {"traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01"}
    async with httpx.AsyncClient(timeout=10) as client:
        await load_patent(client, stack, number, uscc)
        created = await client.post(
            f"{stack.url('credit')}/v1/loan-applications",
            json=application(uscc, number),
            headers={**BANK, **bank_trace},
        )
        loan_id = created.json()["loan_id"]
        await poll_loan(client, stack, loan_id, "offered")
        accepted = await client.post(
            f"{stack.url('credit')}/v1/loans/{loan_id}/offer/accept",
            headers={**BANK, **bank_trace},
        )
        assert accepted.status_code == 200, accepted.text
        await poll_loan(client, stack, loan_id, "disbursed")
    await watcher.wait_for(
        lambda e: e["event_type"] == "credit.loan.disbursed" and e["aggregate_id"] == loan_id
    )
    correlation = next(e for e in watcher.events if e["aggregate_id"] == loan_id)["correlation_id"]

    def of_loan(event: dict) -> bool:
        return bool(event["correlation_id"] == correlation)

    producers = {}
    for topic in (
        "pledgeflow.credit.loans",
        "pledgeflow.valuation.valuations",
        "pledgeflow.registry.pledges",
    ):
        records = await records_of(broker, topic, of_loan)
        assert records, f"no record of the loan on {topic}"
        for record in records:
            headers = dict(record.headers)
            assert TRACE_ID in headers["traceparent"].decode(), (topic, headers)
            producers[json.loads(record.value)["producer"]] = topic
    assert set(producers) == {"credit", "valuation", "registry"}
