"""The official calendar across the running system: entered once with the operator command,
in force at every service that counts working days within seconds."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from shared import ops
from shared.auth import Role
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


async def test_a_year_loaded_at_the_registry_is_in_force_everywhere_within_seconds(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = schedule_file(tmp_path)
    refused = await asyncio.to_thread(
        ops.main, ["load-calendar", str(YEAR), str(path), "--registry", stack.url("registry")]
    )
    assert refused == 1
    assert "--token" in capsys.readouterr().err

    token = CREDENTIALS.issue("supervisor-e2e", Role.SUPERVISOR)
    args = ["load-calendar", str(YEAR), str(path), "--registry", stack.url("registry")]
    loaded_at = time.monotonic()
    assert await asyncio.to_thread(ops.main, [*args, "--token", token]) == 0
    entered = capsys.readouterr().out
    assert f'"year": {YEAR}' in entered and '"source": "official_notice"' in entered

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
