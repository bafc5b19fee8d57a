"""A bank drives a quick loan over HTTP; the services cooperate only through Kafka events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from shared.auth import Role
from shared.devstack import LocalStack
from shared.identifiers import make_uscc
from shared.workdays import beijing_date
from tests.credentials import staff_headers
from tests.e2e.conftest import TopicWatcher
from tests.e2e.flows import (
    BANK,
    BANK_USCC,
    CASE_EVENTS,
    application,
    load_patent,
    poll_loan,
    quick_loan,
)

pytestmark = pytest.mark.broker


async def test_a_quick_loan_reaches_disbursed_and_every_step_is_on_the_topics(
    stack: LocalStack, watcher: TopicWatcher, unique_numbers: Callable[[], str]
) -> None:
    uscc, number = make_uscc(101), unique_numbers()
    async with httpx.AsyncClient(timeout=10) as client:
        offered, loan = await quick_loan(client, stack, uscc, number, f"case-{number}")
    loan_id = loan["loan_id"]

    approved = Decimal(offered["approved_amount"])
    assert Decimal("0") < approved <= Decimal("1000000.00")
    assert approved <= Decimal(offered["appraised_value"]) * Decimal("0.30")
    assert loan["maturity_date"] is not None

    await watcher.wait_for(
        lambda e: e["event_type"] == "credit.loan.disbursed" and e["aggregate_id"] == loan_id
    )
    case = watcher.of_correlation(f"case-{number}")
    assert [e["event_type"] for e in case] == CASE_EVENTS
    earlier: set[str] = set()
    for event in case:
        assert event["causation_id"] is None or event["causation_id"] in earlier
        earlier.add(event["event_id"])
    loan_events = watcher.by_key[loan_id]
    assert [e["aggregate_version"] for e in loan_events] == list(range(1, len(loan_events) + 1))
    registered = next(
        e
        for e in watcher.events
        if e["event_type"] == "registry.pledge.registered"
        and e["payload"]["filing_reference"] == loan_id
    )
    assert registered["payload"]["pledgee"]["uscc"] == BANK_USCC
    registered_at = datetime.fromisoformat(registered["payload"]["registered_at"])
    registration_year = beijing_date(registered_at).year
    assert loan["pledge_registration_number"].startswith(f"Y{registration_year}")
    assert registered["payload"]["patents"] == [number]


async def test_a_refused_pledge_withdraws_the_offer_and_nothing_is_disbursed(
    stack: LocalStack, watcher: TopicWatcher, unique_numbers: Callable[[], str]
) -> None:
    patentee, borrower, number = make_uscc(202), make_uscc(303), unique_numbers()
    async with httpx.AsyncClient(timeout=10) as client:
        await load_patent(client, stack, number, patentee)
        created = await client.post(
            f"{stack.url('credit')}/v1/loan-applications",
            json=application(borrower, number),
            headers=BANK,
        )
        loan_id = created.json()["loan_id"]
        await poll_loan(client, stack, loan_id, "offered")
        await client.post(f"{stack.url('credit')}/v1/loans/{loan_id}/offer/accept", headers=BANK)
        loan = await poll_loan(client, stack, loan_id, "offer_withdrawn")

    assert loan["withdrawal_reason"] == "pledge.refused"
    assert loan["disbursed_at"] is None and loan["pledge_registration_number"] is None
    refused = await watcher.wait_for(
        lambda e: (
            e["event_type"] == "registry.filing.refused"
            and e["payload"]["filing_reference"] == loan_id
        )
    )
    assert [f["code"] for f in refused["payload"]["findings"]] == ["pledgor.not_patentee"]
    assert not [e for e in watcher.by_key[loan_id] if e["event_type"] == "credit.loan.disbursed"]


async def test_an_examined_loan_is_one_case_from_application_to_disbursement(
    stack: LocalStack, watcher: TopicWatcher, unique_numbers: Callable[[], str]
) -> None:
    uscc, number = make_uscc(404), unique_numbers()
    case = f"case-examined-{number}"
    examiner = staff_headers("exa-e2e", Role.EXAMINER)
    desk = f"{stack.url('registry')}/internal/v1/examination/filings"
    async with httpx.AsyncClient(timeout=10) as client:
        await load_patent(client, stack, number, uscc, invalidation_pending=True)
        created = await client.post(
            f"{stack.url('credit')}/v1/loan-applications",
            json=application(uscc, number),
            headers={**BANK, "X-Correlation-Id": case},
        )
        loan_id = created.json()["loan_id"]
        await poll_loan(client, stack, loan_id, "offered")
        await client.post(f"{stack.url('credit')}/v1/loans/{loan_id}/offer/accept", headers=BANK)
        queued = await watcher.wait_for(
            lambda e: (
                e["event_type"] == "registry.filing.queued_for_examination"
                and e["payload"]["filing_reference"] == loan_id
            )
        )
        filing_id = queued["aggregate_id"]
        note = {"codes": ["patent.invalidation_pending"], "note": "Both parties confirmed."}
        for action, body in (("claim", None), ("acknowledge", note), ("register", None)):
            headers = {**examiner, "X-Correlation-Id": f"desk-{action}-{number}"}
            done = await client.post(f"{desk}/{filing_id}/{action}", json=body, headers=headers)
            assert done.status_code == 200, done.text
        loan = await poll_loan(client, stack, loan_id, "disbursed")

    assert loan["pledge_filing_id"] == filing_id
    await watcher.wait_for(
        lambda e: e["event_type"] == "credit.loan.disbursed" and e["aggregate_id"] == loan_id
    )
    steps = [e["event_type"] for e in watcher.of_correlation(case)]
    assert steps[steps.index("registry.filing.received") :] == [
        "registry.filing.received",
        "registry.filing.queued_for_examination",
        "registry.filing.claimed",
        "registry.filing.warnings_acknowledged",
        "registry.pledge.registered",
        "credit.loan.disbursed",
    ]
    assert not [e for e in watcher.events if e["correlation_id"].startswith("desk-")]
