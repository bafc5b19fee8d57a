"""A bank's side of a quick loan, over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from shared.auth import Role
from shared.devstack import LocalStack
from shared.tokens import audience
from tests.credentials import bank_headers, staff_headers
from tests.dates import years_from_today

BANK_USCC = "91330100609123456B"
# The events of one quick loan, in causal order, as an outside subscriber sees them.
CASE_EVENTS = [
    "credit.application.submitted",
    "valuation.completed",
    "credit.loan.decided",
    "credit.offer.accepted",
    "credit.pledge_filing.requested",
    "registry.filing.received",
    "registry.pledge.registered",
    "credit.loan.disbursed",
]
BANK = bank_headers("bank-hangzhou", audience=audience("credit"))
OFFICE = staff_headers(
    "registry-clerk-1", Role.ADMINISTRATOR, audience=[audience("registry"), audience("valuation")]
)


async def load_patent(
    client: httpx.AsyncClient, stack: LocalStack, number: str, holder: str, **changes: Any
) -> None:
    """Enter a granted invention patent on the register and wait until valuation knows it."""
    patent = {
        "number": number,
        "title": "Aspheric lens grinding apparatus",
        "holders": [{"name": "Shanghai Lens Optics Co., Ltd.", "uscc": holder}],
        "filing_date": "2019-03-01",
        "grant_date": "2021-06-15",
        "legal_status": "valid",
        "fees_paid_through": years_from_today(1).isoformat(),
        "main_ipc": "B24B13/00",
    } | changes
    url = f"{stack.url('registry')}/internal/v1/patents/{number}"
    response = await client.put(url, json=patent, headers=OFFICE)
    assert response.status_code == 200, response.text
    for _ in range(200):
        seen = await client.get(
            f"{stack.url('valuation')}/internal/v1/rights/{number}", headers=OFFICE
        )
        if seen.status_code == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("valuation never learnt of the patent from the registry's events")


def application(uscc: str, number: str) -> dict[str, Any]:
    """A loan application secured by one patent."""
    return {
        "enterprise": {
            "uscc": uscc,
            "name": "Shanghai Lens Optics Co., Ltd.",
            "address": "1 Zhangjiang Road, Shanghai",
            "size_class": "small",
            "high_tech": True,
        },
        "requested_amount": "1000000.00",
        "term_months": 12,
        "purpose": "working capital",
        "collateral": [{"right_type": "patent", "number": f"CN{number}"}],
        "attributable_revenue": "20000000.00",
        "industry": "default",
    }


async def poll_loan(
    client: httpx.AsyncClient, stack: LocalStack, loan_id: str, status: str
) -> dict[str, Any]:
    """The loan once it reaches `status`."""
    loan: dict[str, Any] = {}
    for _ in range(300):
        response = await client.get(f"{stack.url('credit')}/v1/loans/{loan_id}", headers=BANK)
        loan = response.json()
        if loan["status"] == status:
            return loan
        await asyncio.sleep(0.1)
    raise AssertionError(f"loan stuck in {loan.get('status')}, expected {status}")


async def quick_loan(
    client: httpx.AsyncClient, stack: LocalStack, uscc: str, number: str, correlation_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply, wait for the offer, accept, wait for disbursement: (offer, disbursed loan)."""
    await load_patent(client, stack, number, uscc)
    created = await client.post(
        f"{stack.url('credit')}/v1/loan-applications",
        json=application(uscc, number),
        headers={**BANK, "X-Correlation-Id": correlation_id},
    )
    assert created.status_code == 201, created.text
    loan_id = created.json()["loan_id"]
    offered = await poll_loan(client, stack, loan_id, "offered")
    accepted = await client.post(
        f"{stack.url('credit')}/v1/loans/{loan_id}/offer/accept", headers=BANK
    )
    assert accepted.status_code == 200, accepted.text
    return offered, await poll_loan(client, stack, loan_id, "disbursed")
