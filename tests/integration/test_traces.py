"""One quick loan is one trace across registry, valuation and credit: the bank's trace context
enters with its requests, rides in the outbox and the record headers, and every consumer
continues it. The three services run in one process on one in-memory bus, each on its own
PostgreSQL database, exporting to the in-memory exporter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from opentelemetry.trace import SpanKind

from services.credit.adapters.orm import metadata as credit_metadata
from services.credit.app import create_app as create_credit
from services.credit.settings import CreditSettings
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from services.valuation.app import create_app as create_valuation
from services.valuation.settings import ValuationSettings
from shared.bus.memory import InMemoryBus
from shared.identifiers import make_uscc, patent_check_digit
from shared.tracing import memory_exporter
from tests.conftest import MakeDatabase
from tests.e2e.flows import BANK, application, load_patent, poll_loan
from tests.integration.conftest import Running

pytestmark = pytest.mark.postgres

SERVICES = ("registry", "valuation", "credit")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


class InProcess:
    """The services by name, as the e2e flows address a stack."""

    def __init__(self, running: dict[str, Running]) -> None:
        self.running = running

    def url(self, service: str) -> str:
        return f"http://{service}"


@pytest.fixture
async def services(make_database: MakeDatabase) -> AsyncIterator[InProcess]:
    bus = InMemoryBus()
    common: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": "memory://",
        "http_port": 0,
        "outbox_poll_interval": 0.05,
        "tracing_exporter": "memory",
    }
    apps = {
        "registry": create_registry(
            RegistrySettings(database_url=await make_database("registry"), **common), bus=bus
        ),
        "valuation": create_valuation(
            ValuationSettings(database_url=await make_database("valuation"), **common), bus=bus
        ),
        "credit": create_credit(
            CreditSettings(
                database_url=await make_database("credit"), sweep_interval=3600, **common
            ),
            bus=bus,
        ),
    }
    async with AsyncExitStack() as stack:
        running = {}
        for name, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            running[name] = Running(app, bus, httpx.AsyncClient())
        yield InProcess(running)


def bank_trace(span_id: str) -> dict[str, str]:
    """The bank's own trace context on a request (its loan process is one trace)."""
    return {"traceparent": f"00-{TRACE_ID}-{span_id}-01"}


async def test_one_quick_loan_is_one_trace_across_the_three_services(
    services: InProcess,
) -> None:
    memory_exporter().clear()
    serial = "5551234"
    number = f"20191{serial}.{patent_check_digit(f'20191{serial}')}"
    uscc = make_uscc(505)
    mounts = {
        f"http://{name}": httpx.ASGITransport(app=running.app)
        for name, running in services.running.items()
    }
    async with httpx.AsyncClient(mounts=mounts, timeout=10) as client:
        await load_patent(client, services, number, uscc)  # type: ignore[arg-type]
        created = await client.post(
            "http://credit/v1/loan-applications",
            json=application(uscc, number),
            headers={**BANK, **bank_trace("00f067aa0ba902b7")},
        )
        assert created.status_code == 201, created.text
        loan_id = created.json()["loan_id"]
        await poll_loan(client, services, loan_id, "offered")  # type: ignore[arg-type]
        accepted = await client.post(
            f"http://credit/v1/loans/{loan_id}/offer/accept",
            headers={**BANK, **bank_trace("00f067aa0ba902b8")},
        )
        assert accepted.status_code == 200, accepted.text
        await poll_loan(client, services, loan_id, "disbursed")  # type: ignore[arg-type]

    spans = [
        s
        for s in memory_exporter().get_finished_spans()
        if f"{s.context.trace_id:032x}" == TRACE_ID
    ]
    by_service: dict[str, list[Any]] = {}
    for span in spans:
        by_service.setdefault(span.resource.attributes["service.name"], []).append(span)
    assert set(by_service) == {f"pledgeflow-{s}" for s in SERVICES}

    def kinds(service: str) -> set[SpanKind]:
        return {s.kind for s in by_service[f"pledgeflow-{service}"]}

    assert {SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.CLIENT} <= kinds(
        "credit"
    )
    for service in ("valuation", "registry"):
        assert {SpanKind.CONSUMER, SpanKind.PRODUCER, SpanKind.CLIENT} <= kinds(service)

    names = {s.name for s in spans}
    for expected in (
        "POST /v1/loan-applications",
        "publish pledgeflow.credit.loans",
        "consume credit.application.submitted",
        "publish pledgeflow.valuation.valuations",
        "consume valuation.completed",
        "consume credit.pledge_filing.requested",
        "publish pledgeflow.registry.pledges",
        "consume registry.pledge.registered",
    ):
        assert expected in names, f"no span {expected!r} in the loan's trace"
    assert any(name.startswith("handle ") for name in names), "no handler span"

    # Each consumer span's parent is the producer span that published the record.
    by_id = {s.context.span_id: s for s in spans}
    for span in spans:
        if span.kind is SpanKind.CONSUMER:
            assert span.parent is not None and span.parent.span_id in by_id
            parent = by_id[span.parent.span_id]
            assert parent.kind is SpanKind.PRODUCER, span.name

    # The trace context is stored with the outbox rows and carried in the record headers.
    credit = services.running["credit"]
    outbox = credit_metadata.tables["outbox"]
    rows = await credit.rows(outbox, outbox.c.key == loan_id)
    assert rows and all(TRACE_ID in (row["traceparent"] or "") for row in rows)
    records = [m for m in credit.bus.messages("pledgeflow.credit.loans") if m.key == loan_id]
    assert records and all(TRACE_ID in (m.header("traceparent") or "") for m in records)
