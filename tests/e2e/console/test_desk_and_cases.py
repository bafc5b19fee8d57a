"""An examiner works a filing from the desk to registration, and an operator follows the case.

The bank's side runs over HTTP as in the other end-to-end tests; the staff's side is a person
in Chromium. The services record the examiner by name in their audit log: the console signs
each call with the signed-in person's id and role.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Page, expect

from shared.auth import Role
from shared.devconsole import LocalConsole
from shared.devstack import LocalStack
from shared.identifiers import make_uscc, patent_check_digit
from tests.credentials import staff_headers
from tests.e2e.console.pages import (
    CasePage,
    CasesPage,
    DeskPage,
    FilingPage,
    SignInPage,
    keep_screenshot,
)
from tests.e2e.flows import BANK, application, load_patent, poll_loan

pytestmark = pytest.mark.broker

CASE_STEPS = [
    "credit.application.submitted",
    "valuation.completed",
    "credit.loan.decided",
    "credit.offer.accepted",
    "credit.pledge_filing.requested",
    "registry.filing.received",
    "registry.filing.queued_for_examination",
    "registry.filing.claimed",
    "registry.filing.warnings_acknowledged",
    "registry.pledge.registered",
    "credit.loan.disbursed",
]


@dataclass
class ExaminedCase:
    correlation_id: str
    patent: str
    loan_id: str


def new_patent_number() -> str:
    digits = f"20191{uuid.uuid4().int % 10_000_000:07d}"
    return f"{digits}.{patent_check_digit(digits)}"


@pytest.fixture(scope="module")
async def examined_case(stack: LocalStack) -> ExaminedCase:
    """A bank's accepted loan whose pledge filing waits for an examiner (invalidation pending)."""
    number = new_patent_number()
    case = f"console-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(timeout=10) as client:
        await load_patent(client, stack, number, make_uscc(606), invalidation_pending=True)
        created = await client.post(
            f"{stack.url('credit')}/v1/loan-applications",
            json=application(make_uscc(606), number),
            headers={**BANK, "X-Correlation-Id": case},
        )
        assert created.status_code == 201, created.text
        loan_id = created.json()["loan_id"]
        await poll_loan(client, stack, loan_id, "offered")
        accepted = await client.post(
            f"{stack.url('credit')}/v1/loans/{loan_id}/offer/accept", headers=BANK
        )
        assert accepted.status_code == 200, accepted.text
    return ExaminedCase(case, number, loan_id)


async def test_an_examiner_claims_the_oldest_filing_acknowledges_its_warning_and_registers_it(
    page: Page, stack: LocalStack, console: LocalConsole, examined_case: ExaminedCase
) -> None:
    await SignInPage(page).sign_in("examiner-li")
    desk = DeskPage(page)
    await desk.open()
    await desk.wait_for_filing_of(examined_case.patent)
    await expect(desk.rows().filter(has_text=examined_case.patent)).to_contain_text("left")
    async with httpx.AsyncClient(timeout=10) as client:
        warnings = (await client.get(f"{console.url}/readyz")).json().get("warnings", {})
    # The desk names the calendar years the console's readiness reports missing, and only then.
    years = [k.removeprefix("calendar.") for k in warnings if k.startswith("calendar.")]
    notice = page.get_by_role("complementary", name=re.compile("^Official calendar for"))
    await expect(notice).to_have_count(1 if years else 0)
    if years:
        await expect(notice).to_contain_text(f"Official calendar for {' and '.join(years)}")

    await desk.claim_oldest()
    filing = FilingPage(page)
    await filing.shows_message("You hold the filing now.")
    await filing.held_by("examiner-li")
    await expect(page.get_by_role("heading", name=examined_case.patent)).to_be_visible()
    await expect(page.get_by_text("patent.invalidation_pending").first).to_be_visible()

    await filing.acknowledge(
        "patent.invalidation_pending", "Both parties confirmed in writing that they proceed."
    )
    await filing.register()
    await filing.timeline_shows("Loan disbursed")
    await keep_screenshot(page, "filing-registered-and-disbursed")

    async with httpx.AsyncClient(timeout=10) as client:
        loan = await poll_loan(client, stack, examined_case.loan_id, "disbursed")
        audit = await client.get(
            f"{stack.url('registry')}/internal/v1/audit?limit=200",
            headers=staff_headers("supervisor-audit", Role.SUPERVISOR),
        )
    assert loan["pledge_registration_number"]
    by_examiner = [
        (entry["path"].rsplit("/", 1)[-1], entry["status_code"])
        for entry in audit.json()["items"]
        if entry["actor"] == "examiner-li" and entry["role"] == "examiner"
    ]
    assert {("claim", 200), ("acknowledge", 200), ("register", 200)} <= set(by_examiner)


async def registered_by_examiner_li(stack: LocalStack, case: ExaminedCase) -> None:
    """The case's pledge registered by examiner-li at the desk, unless that is done already."""
    examiner = staff_headers("examiner-li", Role.EXAMINER)
    desk = f"{stack.url('registry')}/internal/v1/examination/filings"
    note = {"codes": ["patent.invalidation_pending"], "note": "Both parties confirmed."}
    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(300):
            loan = (
                await client.get(f"{stack.url('credit')}/v1/loans/{case.loan_id}", headers=BANK)
            ).json()
            if loan["status"] == "disbursed" or loan.get("pledge_filing_id"):
                break
            await asyncio.sleep(0.1)
        if loan["status"] != "disbursed":
            filing = f"{desk}/{loan['pledge_filing_id']}"
            for action, body in (("claim", None), ("acknowledge", note), ("register", None)):
                done = await client.post(f"{filing}/{action}", json=body, headers=examiner)
                assert done.status_code == 200, done.text
        await poll_loan(client, stack, case.loan_id, "disbursed")


async def test_an_operator_finds_the_case_by_patent_number_and_sees_every_step(
    page: Page, stack: LocalStack, console: LocalConsole, examined_case: ExaminedCase
) -> None:
    await registered_by_examiner_li(stack, examined_case)
    await SignInPage(page).sign_in("operator-liu")
    cases = CasesPage(page)
    await cases.find("Patent number", f"CN{examined_case.patent}")
    await cases.open_case(examined_case.correlation_id)

    case = CasePage(page)
    await expect(case.steps().last).to_contain_text("credit.loan.disbursed", timeout=30_000)
    await keep_screenshot(page, "case-timeline")
    assert await case.step_types() == CASE_STEPS, (
        "the case's timeline should show every step across the three services, in order"
    )
    await expect(case.steps().filter(has_text="Filing claimed by examiner-li")).to_have_count(1)
