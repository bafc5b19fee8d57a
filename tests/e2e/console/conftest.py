"""The console as a real process beside the three services, driven in Debian's Chromium.

The browser is the system's (`/usr/bin/chromium`, installed by the test set-up with apt-get
when missing); Playwright drives it and never downloads one. Each test gets a fresh browser
context, and screenshots of every page it visits go to `test-artifacts/console/<test>/`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from shared.devconsole import LocalConsole
from shared.devstack import LocalStack, free_port
from tests.conftest import MakeDatabase

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMIUM = Path(os.environ.get("PLEDGEFLOW_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
async def console(stack: LocalStack, make_database: MakeDatabase) -> AsyncIterator[LocalConsole]:
    """The console on its own PostgreSQL database, reading the session's broker."""
    running = LocalConsole.beside(
        stack, port=free_port(), database_url=await make_database(), refresh_seconds=1.0
    )
    try:
        await asyncio.to_thread(running.start)
        yield running
    finally:
        await asyncio.to_thread(running.stop)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not await asyncio.to_thread(CHROMIUM.exists):
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (make test does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(
    browser: Browser, console: LocalConsole, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    """A fresh browser tab at the console, its screenshots kept under the test's name."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context: BrowserContext = await browser.new_context(
        base_url=console.url, viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(15_000)
    tab = await context.new_page()
    tab.screenshots = folder  # type: ignore[attr-defined]
    try:
        yield tab
    finally:
        await context.close()
