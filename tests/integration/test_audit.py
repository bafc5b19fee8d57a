"""Internal actions are audited in the service's database: who, when, what and the outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.registry.adapters.orm import audit_log
from shared.auth import Role
from tests.calendars import SCHEDULE_2031
from tests.credentials import staff_headers
from tests.integration.conftest import Running
from tests.integration.test_registry_service import registry  # noqa: F401
from tests.integration.test_valuation_service import valuation  # noqa: F401
from tests.unit.registry_harness import examined

pytestmark = pytest.mark.postgres

AUDIT = "/internal/v1/audit"


def entry(item: dict[str, Any]) -> tuple[str, str, str, str, int]:
    return (item["actor"], item["role"], item["method"], item["path"], item["status_code"])


async def test_internal_actions_are_audited_and_bank_calls_are_not(
    registry: Running,  # noqa: F811
) -> None:
    started = datetime.now(UTC)
    filed = await examined(registry)
    claim_path = f"/internal/v1/examination/filings/{filed['filing_id']}/claim"
    claimed = await registry.client.post(claim_path, headers={"X-Examiner-Id": "exa"})
    year = await registry.client.put("/internal/v1/calendar/2031", json=SCHEDULE_2031)
    assert (claimed.status_code, year.status_code) == (200, 200)

    page = (await registry.client.get(AUDIT)).json()

    entries = [entry(item) for item in page["items"]]
    assert ("exa", "examiner", "POST", claim_path, 200) in entries
    assert ("administrator-1", "administrator", "PUT", "/internal/v1/calendar/2031", 200) in (
        entries
    )
    assert all(item["path"].startswith("/internal/") for item in page["items"])
    assert all(item["role"] != "bank" for item in page["items"])
    assert await registry.count(audit_log, audit_log.c.path.startswith("/v1/")) == 0
    assert page["total"] == len(page["items"]) == await registry.count(audit_log) - 1
    claim_entry = next(item for item in page["items"] if item["path"] == claim_path)
    assert claim_entry["service"] == "registry"
    assert claim_entry["correlation_id"] == claimed.headers["X-Correlation-Id"]
    moment = datetime.fromisoformat(claim_entry["at"])
    assert moment.utcoffset() == timedelta(0)
    assert started - timedelta(seconds=5) <= moment <= datetime.now(UTC)
    times = [item["at"] for item in page["items"]]
    assert times == sorted(times, reverse=True)


async def test_the_trail_is_for_supervisors_and_administrators(
    registry: Running,  # noqa: F811
) -> None:
    refused = await registry.client.get(AUDIT, headers={"X-Examiner-Id": "exa"})
    supervisor = await registry.client.get(AUDIT, headers=staff_headers("s1", Role.SUPERVISOR))
    administrator = await registry.client.get(AUDIT, params={"limit": 1, "offset": 1})

    assert (refused.status_code, refused.json()["code"]) == (403, "auth.role_forbidden")
    assert supervisor.status_code == 200
    assert [entry(item) for item in supervisor.json()["items"]] == [
        ("exa", "examiner", "GET", AUDIT, 403)
    ]
    page = administrator.json()
    assert administrator.status_code == 200
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 1)
    assert [entry(item) for item in page["items"]] == [("exa", "examiner", "GET", AUDIT, 403)]


async def test_an_unverified_credential_is_not_audited(registry: Running) -> None:  # noqa: F811
    forged = {"Authorization": "Bearer not-a-token"}
    assert (await registry.client.get(AUDIT, headers=forged)).status_code == 401
    assert await registry.count(audit_log) == 0


async def test_valuation_audits_its_internal_actions(valuation: Running) -> None:  # noqa: F811
    looked_up = await valuation.client.get(
        "/internal/v1/rights/31234567", headers={"X-Appraiser-Id": "appraiser-wang"}
    )
    page = (await valuation.client.get(AUDIT)).json()

    assert looked_up.status_code == 404
    assert [entry(item) for item in page["items"]][-1] == (
        "appraiser-wang",
        "appraiser",
        "GET",
        "/internal/v1/rights/31234567",
        404,
    )
    assert page["items"][-1]["service"] == "valuation"


async def test_a_failed_audit_write_leaves_the_answer_alone(
    registry: Running,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with registry.runtime.engine.begin() as connection:
        await connection.execute(text("DROP TABLE audit_log"))

    answered = await registry.client.put("/internal/v1/calendar/2031", json=SCHEDULE_2031)

    assert answered.status_code == 200, answered.text
    assert "audit record not written" in caplog.text
