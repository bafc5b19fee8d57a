"""The bank's IP-loan quota on PostgreSQL: reserved at offer, released, consumed, not overdrawn."""

from __future__ import annotations

import asyncio
import logging
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from services.credit.domain.policy import RightAppraisal
from services.credit.service_layer.commands import RecordValuation
from tests.conftest import MakeDatabase
from tests.integration.conftest import Running, eventually, publish
from tests.integration.test_credit_service import (
    HANGZHOU,
    PATENT,
    PLEDGES_TOPIC,
    VALUATIONS_TOPIC,
    banks_with,
    credit_service,
    filing_refused,
    loan,
    loan_events,
    pledge_registered,
    quota,
    reaches,
    submit,
    valuation_completed,
)

pytestmark = pytest.mark.postgres

HANGZHOU_QUOTA = 'quota_total: "2000000000.00"'
REVISION_1 = "revision: 1"


async def decide_concurrently(credit: Running, loan_ids: list[str]) -> None:
    """Each valuation decided in its own transaction, all at once."""
    right = RightAppraisal(PATENT, "invention", Decimal("1000000.00"), None)

    async def decide(loan_id: str) -> None:
        command = RecordValuation(loan_id, str(uuid.uuid4()), (right,))
        await credit.runtime.messages.handle(command)

    await asyncio.gather(*(decide(loan_id) for loan_id in loan_ids))


async def test_concurrent_offers_take_exactly_what_the_quota_covers(
    make_database: MakeDatabase, tmp_path: Path
) -> None:
    banks = banks_with(tmp_path, **{HANGZHOU_QUOTA: 'quota_total: "1000000.00"'})
    url = await make_database("credit")
    async with credit_service(url, banks_file=banks) as credit:
        loan_ids = [await submit(credit) for _ in range(10)]
        await decide_concurrently(credit, loan_ids)

        decided = [await loan(credit, loan_id) for loan_id in loan_ids]
        offered = [d for d in decided if d["status"] == "offered"]
        declined = [d for d in decided if d["status"] == "declined"]
        assert (len(offered), len(declined)) == (3, 7)
        assert all(d["approved_amount"] == "300000.00" for d in offered)
        assert all(d["decision_reasons"][-1] == "quota.exhausted" for d in declined)
        assert all(d["decision_inputs"]["quota"] == "exhausted" for d in declined)
        state = await quota(credit)
        assert (state["total"], state["reserved"], state["consumed"]) == (
            "1000000.00",
            "900000.00",
            "0.00",
        )
        assert Decimal(state["available"]) == Decimal("100000.00")


async def test_a_withdrawn_offer_frees_its_quota_and_disbursement_consumes_it(
    make_database: MakeDatabase, tmp_path: Path
) -> None:
    banks = banks_with(tmp_path, **{HANGZHOU_QUOTA: 'quota_total: "600000.00"'})
    url = await make_database("credit")
    async with credit_service(url, banks_file=banks) as credit:
        loan_ids = [await submit(credit) for _ in range(3)]
        for loan_id in loan_ids:
            await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(loan_id))
        await eventually(lambda: credit.handled("credit.valuations") == 3)
        statuses = {loan_id: (await loan(credit, loan_id))["status"] for loan_id in loan_ids}
        first, second = [i for i in loan_ids if statuses[i] == "offered"]
        assert sorted(statuses.values()) == ["declined", "offered", "offered"]
        assert (await quota(credit))["reserved"] == "600000.00"

        for loan_id in (first, second):
            response = await credit.client.post(
                f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU
            )
            assert response.status_code == 200, response.text
        await publish(credit.bus, PLEDGES_TOPIC, filing_refused(first))
        await reaches(credit, first, "offer_withdrawn")
        assert (await quota(credit))["reserved"] == "300000.00"

        await publish(credit.bus, PLEDGES_TOPIC, pledge_registered(second))
        await reaches(credit, second, "disbursed")
        state = await quota(credit)
        assert (state["reserved"], state["consumed"]) == ("0.00", "300000.00")

        fourth = await submit(credit)
        await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(fourth))
        assert (await reaches(credit, fourth, "offered"))["approved_amount"] == "300000.00"
        assert (await quota(credit))["available"] == "0.00"


async def test_the_configured_total_of_a_new_revision_is_written_at_start(
    make_database: MakeDatabase, tmp_path: Path
) -> None:
    url = await make_database("credit")
    async with credit_service(url) as credit:
        loan_id = await submit(credit)
        await publish(credit.bus, VALUATIONS_TOPIC, valuation_completed(loan_id))
        await reaches(credit, loan_id, "offered")
    banks = banks_with(
        tmp_path, **{HANGZHOU_QUOTA: 'quota_total: "700000.00"', REVISION_1: "revision: 2"}
    )
    async with credit_service(url, banks_file=banks) as credit:

        async def resized() -> bool:
            return (await quota(credit))["total"] == "700000.00"

        await eventually(resized)
        state = await quota(credit)
        assert (state["reserved"], state["available"]) == ("300000.00", "400000.00")
        assert len(loan_events(credit, loan_id, "credit.loan.decided")) == 0


async def test_a_replica_started_with_an_older_file_keeps_the_newer_totals_and_terms(
    make_database: MakeDatabase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = await make_database("credit")
    newer = banks_with(
        tmp_path, **{HANGZHOU_QUOTA: 'quota_total: "700000.00"', REVISION_1: "revision: 2"}
    )
    async with credit_service(url, banks_file=newer) as credit:
        assert (await quota(credit))["total"] == "700000.00"
    with caplog.at_level(logging.WARNING):
        async with credit_service(url) as older:
            state = await quota(older)
            in_force = older.app.state.deps.banks["bank-hangzhou"].quota_total

    assert state["total"] == "700000.00"
    assert in_force == Decimal("700000.00")
    assert any("older than the terms in force" in r.getMessage() for r in caplog.records)


async def test_a_replica_hears_of_newer_terms_another_replica_started_with(
    make_database: MakeDatabase, tmp_path: Path
) -> None:
    url = await make_database("credit")
    newer = banks_with(
        tmp_path, **{HANGZHOU_QUOTA: 'quota_total: "700000.00"', REVISION_1: "revision: 2"}
    )
    async with credit_service(url) as running:
        assert running.app.state.deps.banks["bank-hangzhou"].quota_total == Decimal("2000000000.00")
        async with credit_service(url, banks_file=newer):
            # The periodic look is a minute away: the stored revision's commit notifies.
            await eventually(lambda: running.app.state.deps.lending_terms.revision == 2, timeout=3)
        assert running.app.state.deps.banks["bank-hangzhou"].quota_total == Decimal("700000.00")
        assert (await quota(running))["total"] == "700000.00"
