"""The official calendar across the running system: entered once with the operator command,
in force at every service that counts working days within seconds."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner, Result

from shared.auth import Role
from shared.cli.app import app
from shared.devstack import LocalStack
from tests.calendars import schedule_body
from tests.credentials import CREDENTIALS, staff_headers

pytestmark = pytest.mark.broker

YEAR = 2035
WORKING_DAY_SERVICES = ("registry", "credit")
ADMIN = staff_headers("admin-e2e", Role.ADMINISTRATOR)


def schedule_file(tmp_path: Path) -> Path:
    body = schedule_body(YEAR, makeup=[])
    path = tmp_path / f"{YEAR}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "year": YEAR,
                "notice": body["notice"],
                "holidays": body["holidays"],
                "makeup_workdays": body["makeup_workdays"],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return path


async def in_force(client: httpx.AsyncClient, stack: LocalStack, service: str) -> dict[str, Any]:
    response = await client.get(f"{stack.url(service)}/internal/v1/calendar/{YEAR}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def pledgeflow(*args: str) -> Result:
    """The command line in a thread: it runs its own event loop."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def test_a_year_loaded_at_the_registry_is_in_force_everywhere_within_seconds(
    stack: LocalStack, tmp_path: Path
) -> None:
    path = schedule_file(tmp_path)
    load = ["calendar", "load", str(YEAR), str(path), "--registry", stack.url("registry")]
    refused = await pledgeflow(*load)
    assert refused.exit_code == 4
    assert "PLEDGEFLOW_TOKEN" in refused.stderr

    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    expired = CREDENTIALS.issue(
        "supervisor-e2e", Role.SUPERVISOR, ttl=timedelta(seconds=1), now=an_hour_ago
    )
    refused = await pledgeflow(*load, "--token", expired)
    assert refused.exit_code == 4
    assert "the registry refused the credential in --token/PLEDGEFLOW_TOKEN" in refused.stderr
    assert "auth.expired" in refused.stderr and "Traceback" not in refused.stderr
    examiner = CREDENTIALS.issue("examiner-e2e", Role.EXAMINER)
    refused = await pledgeflow(*load, "--token", examiner)
    assert refused.exit_code == 4
    assert "needs a supervisor's or administrator's credential" in refused.stderr

    token = CREDENTIALS.issue("supervisor-e2e", Role.SUPERVISOR)
    loaded_at = time.monotonic()
    entered = await pledgeflow(*load, "--token", token, "--json")
    assert entered.exit_code == 0, entered.output
    assert json.loads(entered.stdout)["source"] == "official_notice"
    shown = await pledgeflow(
        "calendar", "show", str(YEAR), "--registry", stack.url("registry"), "--token", examiner
    )
    assert shown.exit_code == 0, shown.output
    assert "official_notice" in shown.stdout and "supervisor-e2e" in shown.stdout

    async with httpx.AsyncClient(timeout=10) as client:
        registry = await in_force(client, stack, "registry")
        seen: dict[str, dict[str, Any]] = {}
        while time.monotonic() - loaded_at < 10 and len(seen) < len(WORKING_DAY_SERVICES):
            for service in WORKING_DAY_SERVICES:
                year = await in_force(client, stack, service)
                if year["version"] == registry["version"]:
                    seen[service] = year
            await asyncio.sleep(0.1)

    assert registry["entered_by"] == "supervisor-e2e"
    assert sorted(seen) == sorted(WORKING_DAY_SERVICES)
    for year in seen.values():
        assert year["source"] == "official_notice"
        assert year["notice"] == registry["notice"]
        assert year["non_working_weekdays"] == registry["non_working_weekdays"]
