"""Retried state-changing writes: the first one acts, the retry answers with its result."""

from __future__ import annotations

from tests.integration.conftest import Running
from tests.integration.test_credit_service import (  # noqa: F401
    HANGZHOU,
    credit,
    loan_events,
    offered,
)
from tests.integration.test_registry_service import (  # noqa: F401
    events_of,
    registered,
    registry,
)
from tests.unit.registry_harness import ACK, act, claim, examined, filing


async def test_a_retried_acceptance_accepts_once(credit: Running) -> None:  # noqa: F811
    loan_id = await offered(credit)
    headers = HANGZHOU | {"Idempotency-Key": "accept-1"}
    url = f"/v1/loans/{loan_id}/offer/accept"

    first = await credit.client.post(url, headers=headers)
    retry = await credit.client.post(url, headers=headers)
    unkeyed_retry = await credit.client.post(url, headers=HANGZHOU)

    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["status"] == first.json()["status"] == "pledge_filed"
    assert (unkeyed_retry.status_code, unkeyed_retry.json()["code"]) == (409, "loan.not_offered")
    assert len(loan_events(credit, loan_id, "credit.offer.accepted")) == 1


async def test_a_retried_cancellation_cancels_once(registry: Running) -> None:  # noqa: F811
    _, filed = await registered(registry)
    url = f"/v1/pledges/{filed['registration_number']}/cancellation"
    headers = {"Idempotency-Key": "cancel-1"}

    first = await registry.client.post(url, json={"reason": "debt_repaid"}, headers=headers)
    retry = await registry.client.post(url, json={"reason": "debt_repaid"}, headers=headers)
    other = await registry.client.post(url, json={"reason": "contract_void"}, headers=headers)

    assert (first.status_code, retry.status_code) == (200, 200), first.text
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["status"] == first.json()["status"] == "cancelled"
    assert (other.status_code, other.json()["code"]) == (422, "idempotency.key_reused")
    assert len(await events_of(registry, "registry.pledge.cancelled")) == 1


async def test_a_retried_correction_is_taken_once(registry: Running) -> None:  # noqa: F811
    filed = await examined(registry)
    await claim(registry, filed["filing_id"], "exa")
    fix = {"fields": ["scope_of_guarantee"], "message": "Fix."}
    await act(registry, filed["filing_id"], "request-correction", "exa", fix)
    url = f"/v1/pledge-filings/{filed['filing_id']}/correction"
    corrected = filing(*filed["patents"], acknowledgements=ACK, scope_of_guarantee="principal")
    headers = {"Idempotency-Key": "correction-1"}

    first = await registry.client.post(url, json=corrected, headers=headers)
    retry = await registry.client.post(url, json=corrected, headers=headers)

    assert (first.status_code, retry.status_code) == (200, 200), first.text
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["status"] == first.json()["status"]
    assert len(await events_of(registry, "registry.filing.corrected")) == 1
