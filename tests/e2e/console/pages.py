"""One page object per screen of the console: what a person sees and does there."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from playwright.async_api import Locator, Page, expect

from shared.devconsole import DEVELOPMENT_PASSWORD

_shots = itertools.count(1)


async def keep_screenshot(page: Page, name: str) -> None:
    """Save what the page shows now as a test artefact."""
    folder: Path = page.screenshots  # type: ignore[attr-defined]
    await page.screenshot(path=folder / f"{next(_shots):02d}-{name}.png", full_page=True)


class Screen:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def shows_message(self, text: str) -> None:
        await expect(self.page.get_by_role("status")).to_contain_text(text)

    async def go_to(self, title: str) -> None:
        await (
            self.page.get_by_role("navigation", name="Pages")
            .get_by_role("link", name=title)
            .click()
        )


class SignInPage(Screen):
    async def sign_in(self, staff_id: str, password: str = DEVELOPMENT_PASSWORD) -> None:
        await self.page.goto("/")
        await expect(self.page.get_by_role("heading", name="Sign in")).to_be_visible()
        await self.page.get_by_label("Staff id").fill(staff_id)
        await self.page.get_by_label("Password").fill(password)
        await keep_screenshot(self.page, "sign-in")
        await self.page.get_by_role("button", name="Sign in").click()
        await expect(self.page.get_by_role("button", name="Sign out")).to_be_visible()


class DeskPage(Screen):
    async def open(self) -> None:
        await self.go_to("Examiner desk")
        await expect(self.page.get_by_role("heading", name="Examiner desk")).to_be_visible()

    def rows(self) -> Locator:
        return self.page.get_by_role("table").get_by_role("row")

    async def wait_for_filing_of(self, patent: str) -> None:
        """The queue refreshes itself; wait until it lists a filing of `patent`."""
        await expect(self.rows().filter(has_text=patent)).to_have_count(1, timeout=30_000)
        await keep_screenshot(self.page, "desk-queue")

    async def claim_oldest(self) -> None:
        await self.page.get_by_role("button", name=re.compile("^Claim filing")).first.click()


class FilingPage(Screen):
    async def held_by(self, staff_id: str) -> None:
        facts = self.page.get_by_role("definition").filter(has_text=staff_id)
        await expect(facts.first).to_be_visible()
        await keep_screenshot(self.page, "filing-claimed")

    async def acknowledge(self, code: str, note: str) -> None:
        warnings = self.page.get_by_role("group", name=re.compile("^Warnings the parties"))
        await warnings.get_by_role("checkbox", name=re.compile(re.escape(code))).check()
        await self.page.get_by_label("How the parties confirmed").fill(note)
        await self.page.get_by_role("button", name="Record acknowledgement").click()
        await self.shows_message("Acknowledgement recorded.")
        await keep_screenshot(self.page, "filing-acknowledged")

    async def register(self) -> None:
        await self.page.get_by_role("button", name="Register the pledge").click()
        await self.shows_message("The pledge is registered.")

    def timeline(self) -> Locator:
        return self.page.locator("ol.timeline")

    async def timeline_shows(self, step: str, timeout: float = 30_000) -> None:
        """The timeline refreshes itself; wait until it shows `step`."""
        await expect(self.timeline()).to_contain_text(step, timeout=timeout)


class CasesPage(Screen):
    async def find(self, kind_label: str, value: str) -> None:
        await self.go_to("Cases")
        await self.page.get_by_label("Find by").select_option(label=kind_label)
        await self.page.get_by_label("Search for").fill(value)
        await self.page.get_by_role("button", name="Find").click()
        await keep_screenshot(self.page, "cases-found")

    async def open_case(self, correlation_id: str) -> None:
        await self.page.get_by_role("link", name=correlation_id).click()
        await expect(
            self.page.get_by_role("heading", name=f"Case {correlation_id}")
        ).to_be_visible()


class CasePage(Screen):
    def steps(self) -> Locator:
        return self.page.locator("ol.timeline > li")

    async def step_types(self) -> list[str]:
        return [
            text.strip() for text in await self.page.locator("ol.timeline code").all_inner_texts()
        ]


class AppraisalsPage(Screen):
    async def open(self) -> None:
        await self.go_to("Appraisals")
        await expect(
            self.page.get_by_role("heading", name="Provisional valuations waiting for sign-off")
        ).to_be_visible()

    async def open_valuation_for(self, loan_id: str) -> None:
        row = self.page.get_by_role("row").filter(has_text=loan_id[:8])
        await expect(row).to_have_count(1, timeout=30_000)
        await keep_screenshot(self.page, "appraisals")
        await row.get_by_role("link").click()


class ValuationPage(Screen):
    async def shows_range_and_drivers(self) -> None:
        await expect(self.page.get_by_role("img", name=re.compile("^Value range"))).to_be_visible()
        await expect(
            self.page.get_by_role("img", name=re.compile("^Quality score")).first
        ).to_be_visible()
        await expect(
            self.page.get_by_role("img", name=re.compile("^Discount rate")).first
        ).to_be_visible()
        await keep_screenshot(self.page, "valuation")

    async def approve(self, note: str) -> None:
        await self.page.get_by_label("Note (optional)").fill(note)
        await self.page.get_by_role("button", name="Approve the valuation").click()
        await self.shows_message("Valuation approved.")
        await keep_screenshot(self.page, "valuation-approved")


class DeadLettersPage(Screen):
    async def open(self) -> None:
        await self.go_to("Dead letters")

    async def wait_for(self, event_id: str) -> None:
        for _ in range(30):
            if await self.page.get_by_role("row").filter(has_text=event_id).count():
                break
            await self.page.wait_for_timeout(500)
            await self.page.reload()
        await expect(self.page.get_by_role("row").filter(has_text=event_id)).to_have_count(1)
        await keep_screenshot(self.page, "dead-letters")

    async def redrive(self, event_id: str) -> None:
        await self.page.get_by_role("checkbox", name=re.compile(re.escape(event_id))).check()
        await self.page.get_by_role("button", name="Redrive the chosen letters").click()
        await self.shows_message("1 dead letter queued for redrive.")
        await keep_screenshot(self.page, "dead-letters-redriven")


class AuditPage(Screen):
    async def open(self) -> None:
        await self.go_to("Audit")
        await keep_screenshot(self.page, "audit")

    def entries(self) -> Locator:
        return self.page.get_by_role("table").get_by_role("row")
