"""The credit desk on PostgreSQL: officers decide referrals; statistics of a period."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.identifiers import make_uscc
from shared.kernel.clock import ManualClock
from tests.conftest import MakeDatabase
from tests.dates import beijing
from tests.integration.conftest import Running, eventually, publish
from tests.integration.test_credit_service import (
    HANGZHOU,
    PLEDGES_TOPIC,
    QINGDAO,
    VALUATIONS_TOPIC,
    application,
    banks_with,
    credit_service,
    loan,
    loan_events,
    pledge_registered,
    quota,
    reaches,
    submit,
    valuation_completed,
)

pytestmark = pytest.mark.postgres

OFFICER = {"X-Officer-Id": "officer-1"}


@pytest.fixture
async def database(make_database: MakeDatabase) -> str:
    return await make_database("credit")


async def referred(credit: Running) -> str:
    loan_id = await submit(credit, headers=QINGDAO)
    await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(loan_id))
    await reaches(credit, loan_id, "referred", QINGDAO)
    return loan_id


async def decide(
    credit: Running, loan_id: str, headers: dict[str, str] = OFFICER, **body: Any
) -> tuple[int, dict[str, Any]]:
    response = await credit.client.post(
        f"/internal/v1/referrals/{loan_id}/decision",
        json={"outcome": "approve", "reasons": ["expiry checked on the register"]} | body,
        headers=headers,
    )
    return response.status_code, dict(response.json())


async def test_an_officer_lists_and_approves_a_referral_within_the_ceiling(
    database: str,
) -> None:
    async with credit_service(database) as credit:
        loan_id = await referred(credit)
        [event] = await eventually(lambda: loan_events(credit, loan_id, "credit.loan.referred"))
        assert event.payload["reasons"][0].startswith("collateral.term_unknown:")

        anonymous = await credit.client.get("/internal/v1/referrals", headers={"X-Anonymous": "1"})
        administrator = await credit.client.get("/internal/v1/referrals")
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "auth.missing")
        assert (administrator.status_code, administrator.json()["code"]) == (
            403,
            "auth.role_forbidden",
        )
        listed = (await credit.client.get("/internal/v1/referrals", headers=OFFICER)).json()
        [referral] = [r for r in listed if r["loan_id"] == loan_id]
        assert (referral["bank_id"], referral["policy_version"]) == ("bank-qingdao", "qd-2026.2")
        assert referral["policy_ceiling"] == "250000.00"
        assert referral["decision_inputs"]["rights"][0]["expiry_date"] is None

        assert (await decide(credit, loan_id, amount="250000.01"))[1]["code"] == (
            "referral.amount_above_ceiling"
        )
        mismatch = await decide(credit, loan_id, officer_id="officer-2")
        assert (mismatch[0], mismatch[1]["code"]) == (422, "officer.mismatch")

        status, approved = await decide(credit, loan_id, amount="200000.00")
        assert (status, approved["status"], approved["approved_amount"]) == (
            200,
            "offered",
            "200000.00",
        )
        assert approved["decided_by"] == "officer-1"
        assert approved["decision_inputs"]["officer"]["reasons"] == [
            "expiry checked on the register"
        ]
        [decided] = await eventually(lambda: loan_events(credit, loan_id, "credit.loan.decided"))
        assert (decided.payload["outcome"], decided.payload["decided_by"]) == (
            "approve",
            "officer-1",
        )
        assert (await quota(credit, "bank-qingdao"))["reserved"] == "200000.00"
        assert (await decide(credit, loan_id))[:1] == (409,)
        listed = (await credit.client.get("/internal/v1/referrals", headers=OFFICER)).json()
        assert loan_id not in [r["loan_id"] for r in listed]
        assert (await decide(credit, "no-such-loan"))[0] == 404
        undecided = await submit(credit, headers=QINGDAO)
        status, problem = await decide(credit, undecided)
        assert (status, problem["code"]) == (409, "loan.not_referred")


async def test_an_officer_cannot_overdraw_the_quota_and_may_decline(
    database: str, tmp_path: Path
) -> None:
    banks = banks_with(tmp_path, **{'quota_total: "500000000.00"': 'quota_total: "150000.00"'})
    async with credit_service(database, banks_file=banks) as credit:
        loan_id = await referred(credit)
        status, problem = await decide(credit, loan_id, amount="200000.00")
        assert (status, problem["code"]) == (409, "quota.exhausted")
        assert (await loan(credit, loan_id, QINGDAO))["status"] == "referred"

        status, declined = await decide(credit, loan_id, outcome="decline", reasons=["thin file"])
        assert (status, declined["status"], declined["approved_amount"]) == (
            200,
            "declined",
            "0.00",
        )
        assert declined["decision_reasons"][-1] == "thin file"
        assert (await quota(credit, "bank-qingdao"))["reserved"] == "0.00"


async def disburse_after(
    credit: Running, clock: ManualClock, wait: timedelta, **changes: Any
) -> str:
    loan_id = await submit(credit, **changes)
    await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(loan_id))
    await reaches(credit, loan_id, "offered")
    await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
    clock.advance(wait)
    await publish(credit.bus, PLEDGES_TOPIC, pledge_registered(loan_id))
    await reaches(credit, loan_id, "disbursed")
    return loan_id


async def test_statistics_of_a_period(database: str) -> None:
    clock = ManualClock(beijing(2026, 3, 2, 10))
    async with credit_service(database, clock) as credit:
        large = application()["enterprise"] | {"uscc": make_uscc(8), "size_class": "large"}
        await disburse_after(credit, clock, timedelta(hours=2))
        await disburse_after(credit, clock, timedelta(0), enterprise=large)
        declined = await submit(credit, term_months=48)
        await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(declined))
        await reaches(credit, declined, "declined")

        day = date(2026, 3, 2)
        response = await credit.client.get(
            "/internal/v1/statistics", params={"from": str(day), "to": str(day)}
        )
        assert response.status_code == 200, response.text
        stats = response.json()
        assert (stats["loans_disbursed"], stats["amount_disbursed"], stats["enterprises"]) == (
            2,
            "600000.00",
            2,
        )
        assert (stats["inclusive_loans"], stats["inclusive_amount"]) == (1, "300000.00")
        shares = (stats["inclusive_share_by_count"], stats["inclusive_share_by_amount"])
        assert shares == ("0.5000", "0.5000")
        assert stats["average_seconds_to_disbursement"] == 3600.0
        assert stats["decline_reasons"] == {"collateral.term_unknown": 1, "term.too_long": 1}

        tomorrow = str(day + timedelta(days=1))
        later = await credit.client.get("/internal/v1/statistics", params={"from": tomorrow})
        assert later.json()["loans_disbursed"] == 0
        assert later.json()["inclusive_share_by_count"] is None
        naive = await credit.client.get(
            "/internal/v1/statistics", params={"to": "2026-01-01T00:00"}
        )
        assert (naive.status_code, naive.json()["code"]) == (422, "request.invalid")
        assert {e["field"] for e in naive.json()["errors"]} == {"to"}
