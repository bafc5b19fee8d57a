"""The broker is lost in the middle of a run and comes back empty; the README's runbook is
followed and every flow completes, nothing doubled.

The stack runs on a broker of its own, which the test kills (SIGKILL) while loans are between
steps and starts again, empty, on the same port.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.valuation.entrypoints import rebuild
from shared import ops
from shared.devstack import EmbeddedBroker, LocalStack, StackConfig, free_port
from shared.identifiers import make_uscc, patent_check_digit
from shared.migrations import SERVICES
from shared.topics import CREDIT_LOANS, REGISTRY_PLEDGES, REGISTRY_RIGHTS, VALUATIONS
from tests.cli import pledgeflow
from tests.conftest import MakeDatabase
from tests.dates import years_from_today
from tests.e2e.flows import BANK, CASE_EVENTS, OFFICE, application

pytestmark = [pytest.mark.broker, pytest.mark.postgres]

PATIENCE = 150.0


@dataclass
class Flow:
    """One bank's quick loan, from the patent's entry to the disbursement."""

    case: str
    number: str
    uscc: str
    loan_id: str | None = None


def patent_number() -> str:
    digits = f"20191{uuid.uuid4().int % 10_000_000:07d}"
    return f"{digits}.{patent_check_digit(digits)}"


async def until(probe: Any, what: str, timeout: float = PATIENCE) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        try:
            found = await probe()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} never happened")


async def run_flow(client: httpx.AsyncClient, stack: LocalStack, flow: Flow) -> dict[str, Any]:
    """Enter the patent, apply, accept the offer; the disbursed loan."""
    patent = {
        "number": flow.number,
        "title": "Aspheric lens grinding apparatus",
        "holders": [{"name": "Shanghai Lens Optics Co., Ltd.", "uscc": flow.uscc}],
        "filing_date": "2019-03-01",
        "grant_date": "2021-06-15",
        "legal_status": "valid",
        "fees_paid_through": years_from_today(1).isoformat(),
        "main_ipc": "B24B13/00",
    }
    url = f"{stack.url('registry')}/internal/v1/patents/{flow.number}"
    assert (await client.put(url, json=patent, headers=OFFICE)).status_code == 200
    right = f"{stack.url('valuation')}/internal/v1/rights/{flow.number}"

    async def known() -> bool:
        return (await client.get(right, headers=OFFICE)).status_code == 200

    await until(known, f"valuation learning of {flow.number}")
    created = await client.post(
        f"{stack.url('credit')}/v1/loan-applications",
        json=application(flow.uscc, flow.number),
        headers={**BANK, "X-Correlation-Id": flow.case, "Idempotency-Key": flow.case},
    )
    assert created.status_code == 201, created.text
    flow.loan_id = created.json()["loan_id"]
    await loan_in(client, stack, flow.loan_id, "offered")
    accepted = await client.post(
        f"{stack.url('credit')}/v1/loans/{flow.loan_id}/offer/accept", headers=BANK
    )
    assert accepted.status_code == 200, accepted.text
    return await loan_in(client, stack, flow.loan_id, "disbursed")


async def first_application(flows: list[Flow]) -> None:
    while not any(flow.loan_id for flow in flows):
        await asyncio.sleep(0.01)


async def loan_in(
    client: httpx.AsyncClient, stack: LocalStack, loan_id: str, status: str
) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def reached() -> dict[str, Any] | None:
        answer = await client.get(f"{stack.url('credit')}/v1/loans/{loan_id}", headers=BANK)
        seen.update(answer.json())
        return seen if seen.get("status") == status else None

    try:
        found: dict[str, Any] = await until(reached, f"loan {loan_id} reaching {status}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: it stayed {seen.get('status')}") from None
    return found


def kill(broker: EmbeddedBroker) -> None:
    """The broker dies at once, with everything it held."""
    assert broker.process is not None
    broker.process.kill()
    broker.process.wait()
    broker.process = None


async def readiness(client: httpx.AsyncClient, stack: LocalStack, service: str) -> Any:
    answer = await client.get(f"{stack.url(service)}/readyz")
    return answer.status_code, answer.json()


async def test_after_the_broker_is_lost_the_runbook_completes_every_flow_once(
    make_database: MakeDatabase,
    own_broker: EmbeddedBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for service in SERVICES:
        monkeypatch.setenv(f"PLEDGEFLOW_{service.upper()}_KAFKA_TOPIC_CHECK_INTERVAL", "1")
    urls = {service: await make_database() for service in SERVICES}
    stack = LocalStack(
        StackConfig(
            data_dir=tmp_path / "stack",
            ports={service: free_port() for service in SERVICES},
            database_urls=urls,
        ),
        broker_bootstrap=own_broker.bootstrap_servers,
    )
    before_the_loss = datetime.now(UTC) - timedelta(seconds=1)
    flows = [
        Flow(f"loss-{i}-{uuid.uuid4().hex[:6]}", patent_number(), make_uscc(700 + i))
        for i in range(8)
    ]
    try:
        await asyncio.to_thread(stack.start)
        async with httpx.AsyncClient(timeout=10) as client:
            finished = await asyncio.gather(*(run_flow(client, stack, f) for f in flows[:3]))
            in_flight = [asyncio.create_task(run_flow(client, stack, f)) for f in flows[3:]]
            # The broker dies as soon as the first of them has applied for its loan: the
            # others are then somewhere between entering their patent and disbursement.
            await asyncio.wait_for(first_application(flows[3:]), PATIENCE)
            ended = [task for task in in_flight if task.done()]
            assert len(ended) < len(in_flight), "every flow ended before the loss"

            kill(own_broker)

            async def broker_missed() -> Any:
                status, body = await readiness(client, stack, "credit")
                return status == 503 and "broker" in body["problems"] and body

            unready = await until(broker_missed, "credit noticing the broker is gone", 30)
            assert unready["problems"]["broker"].startswith("unreachable for")

            await asyncio.to_thread(own_broker.start)

            # The runbook: wait until every service is ready again (its topics are back) ...
            for service in SERVICES:

                async def ready(service: str = service) -> bool:
                    return (await readiness(client, stack, service))[0] == 200

                await until(ready, f"{service} ready again", 60)
            # ... publish again what each outbox sent since before the loss ...
            for service in SERVICES:
                again = await pledgeflow(
                    "recovery",
                    "republish",
                    service,
                    "--since",
                    before_the_loss.isoformat(),
                    "--database-url",
                    urls[service],
                )
                assert again.exit_code == 0, again.output
            # ... and rebuild valuation's register read model from the rights topic (needed only
            # when valuation's database was lost too; harmless otherwise).
            rebuilt = await asyncio.to_thread(
                rebuild.main,
                ["--bootstrap", own_broker.bootstrap_servers, "--database-url", urls["valuation"]],
            )
            assert rebuilt == 0

            try:
                finished += await asyncio.wait_for(asyncio.gather(*in_flight), PATIENCE + 30)
            except AssertionError as exc:
                states = {s: await readiness(client, stack, s) for s in SERVICES}
                raise AssertionError(f"{exc}; services: {states}") from None
            loans = [
                (
                    await client.get(f"{stack.url('credit')}/v1/loans/{f.loan_id}", headers=BANK)
                ).json()
                for f in flows
            ]
    finally:
        await asyncio.to_thread(stack.stop)

    assert [loan["status"] for loan in loans] == ["disbursed"] * len(flows)
    assert len({loan["loan_id"] for loan in finished}) == len(flows)
    events = await ops.read_topics(
        own_broker.bootstrap_servers, [CREDIT_LOANS, VALUATIONS, REGISTRY_PLEDGES]
    )
    by_case: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in events:
        headers = dict(record.headers)
        case = headers.get("correlation_id", b"").decode()
        body = json.loads(record.value)
        by_case[case][body["event_type"]].add(body["event_id"])
    for flow in flows:
        kinds = by_case[flow.case]
        assert sorted(kinds) == sorted(CASE_EVENTS), flow.case
        doubled = {kind: ids for kind, ids in kinds.items() if len(ids) != 1}
        assert doubled == {}, f"{flow.case}: {doubled}"
    rights = Counter(
        record.key.decode()
        for record in await ops.read_topics(own_broker.bootstrap_servers, [REGISTRY_RIGHTS])
    )
    assert all(rights[flow.number] >= 1 for flow in flows)
