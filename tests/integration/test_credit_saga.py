"""The loan saga's deadlines and compensations on PostgreSQL, with a clock the test moves."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.envelope import Envelope
from shared.identifiers import patent_check_digit
from shared.kernel.clock import ManualClock
from tests.conftest import MakeDatabase
from tests.dates import beijing
from tests.integration.conftest import Running, envelope, eventually, publish
from tests.integration.test_credit_service import (
    BANKS,
    DLQ_PLEDGES,
    HANGZHOU,
    LOANS_TOPIC,
    PLEDGES_TOPIC,
    credit_service,
    filing_refused,
    handled_after,
    loan,
    loan_events,
    offered,
    pledge_filed,
    pledge_registered,
    quota,
    reaches,
    sweeper,
)

pytestmark = pytest.mark.postgres

OTHER_DIGITS = "201910000043"
OTHER_PATENT = f"{OTHER_DIGITS}.{patent_check_digit(OTHER_DIGITS)}"


@pytest.fixture
async def database(make_database: MakeDatabase) -> str:
    return await make_database("credit")


@pytest.fixture
def clock() -> ManualClock:
    """A Tuesday before the National Day week of 2026, on the official calendar."""
    return ManualClock(beijing(2026, 9, 29, 10))


def deadline(current: dict[str, Any], kind: str) -> dict[str, Any]:
    return dict(next(d for d in current["deadlines"] if d["kind"] == kind))


def due_at(current: dict[str, Any], kind: str) -> datetime:
    return datetime.fromisoformat(deadline(current, kind)["due_at"])


async def announced(credit: Running, loan_id: str, event_type: str) -> list[Envelope]:
    return list(await eventually(lambda: loan_events(credit, loan_id, event_type)))


def cancelled(loan_id: str, number: str, reason: str, at: datetime) -> Envelope:
    payload = {
        "registration_number": number,
        "filing_reference": loan_id,
        "reason": reason,
        "cancelled_at": at.isoformat(),
    }
    return envelope("registry.pledge.cancelled", number, payload)


async def test_an_offer_not_accepted_in_time_expires_and_frees_its_quota(
    database: str, clock: ManualClock
) -> None:
    async with credit_service(database, clock) as credit:
        loan_id = await offered(credit)
        current = await loan(credit, loan_id)
        expires = due_at(current, "offer_expiry")
        assert expires == clock.now() + timedelta(days=30)
        assert (await quota(credit))["reserved"] == "300000.00"

        clock.set(expires - timedelta(seconds=1))
        assert await sweeper(credit).sweep_once() == 0
        clock.set(expires)
        assert await sweeper(credit).sweep_once() == 1

        current = await loan(credit, loan_id)
        assert (current["status"], current["withdrawal_reason"]) == (
            "offer_withdrawn",
            "offer.expired",
        )
        assert deadline(current, "offer_expiry")["fired_at"] is not None
        [withdrawn] = await eventually(
            lambda: loan_events(credit, loan_id, "credit.offer.withdrawn")
        )
        assert withdrawn.payload["reason"] == "offer.expired"
        assert (await quota(credit))["reserved"] == "0.00"
        accept = await credit.client.post(f"/v1/loans/{loan_id}/offer/accept", headers=HANGZHOU)
        assert (accept.status_code, accept.json()["code"]) == (409, "loan.not_offered")
        assert await sweeper(credit).sweep_once() == 0


async def test_a_restart_in_the_middle_of_a_deadline_still_fires_it(
    database: str, clock: ManualClock
) -> None:
    async with credit_service(database, clock) as credit:
        loan_id = await offered(credit)
        expires = due_at(await loan(credit, loan_id), "offer_expiry")

    clock.set(expires + timedelta(hours=1))
    async with credit_service(database, clock) as restarted:
        current = await reaches(restarted, loan_id, "offer_withdrawn")
        assert current["withdrawal_reason"] == "offer.expired"
        [withdrawn] = await eventually(
            lambda: loan_events(restarted, loan_id, "credit.offer.withdrawn")
        )
        assert withdrawn.payload["withdrawn_at"] == clock.now().isoformat()
        assert (await quota(restarted))["reserved"] == "0.00"


async def test_a_pledge_registered_after_the_deadline_is_released_as_void(
    database: str, clock: ManualClock
) -> None:
    async with credit_service(database, clock) as credit:
        loan_id = await pledge_filed(credit)
        current = await loan(credit, loan_id)
        due = due_at(current, "pledge_registration")
        assert datetime.fromisoformat(current["pledge_requested_at"]) == beijing(2026, 9, 29, 10)
        assert due == beijing(2026, 10, 10), "30 September, 8 and 9 October are the working days"
        [filing] = await announced(credit, loan_id, "credit.pledge_filing.requested")
        assert filing.payload["registration_due_at"] == due.isoformat()

        clock.set(due)
        assert await sweeper(credit).sweep_once() == 1
        current = await loan(credit, loan_id)
        assert current["withdrawal_reason"] == "pledge.not_registered_in_time"
        assert (await quota(credit))["reserved"] == "0.00"

        handled = credit.handled("credit.pledges")
        await publish(credit.bus, PLEDGES_TOPIC, pledge_registered(loan_id, number="Y2026000077"))
        [release] = await eventually(
            lambda: loan_events(credit, loan_id, "credit.pledge_release.requested")
        )
        assert release.payload["registration_number"] == "Y2026000077"
        assert release.payload["reason"] == "contract_void"
        assert release.payload["filing_reference"] == loan_id
        await handled_after(credit, "credit.pledges", handled)
        assert loan_events(credit, loan_id, "credit.loan.disbursed") == []

        void = cancelled(loan_id, "Y2026000077", "contract_void", clock.now())
        await publish(credit.bus, PLEDGES_TOPIC, void)
        [released] = await eventually(
            lambda: loan_events(credit, loan_id, "credit.pledge.released")
        )
        assert released.payload["reason"] == "contract_void"
        current = await loan(credit, loan_id)
        assert current["status"] == "offer_withdrawn"
        assert current["stray_pledge_registration_number"] == "Y2026000077"
        assert current["pledge_released_at"] is not None


async def test_no_loan_is_disbursed_without_its_own_pledge_registered_in_time(
    database: str, clock: ManualClock
) -> None:
    async with credit_service(database, clock) as credit:
        legit, late, unswept, foreign, other_rights, refused = [
            await pledge_filed(credit) for _ in range(6)
        ]
        early = await offered(credit)
        pledges = credit.handled("credit.pledges")

        await publish(credit.bus, PLEDGES_TOPIC, pledge_registered(early))
        await handled_after(credit, "credit.pledges", pledges)
        assert (await loan(credit, early))["status"] == "offered"

        original = pledge_registered(legit)
        await publish(credit.bus, PLEDGES_TOPIC, original)
        await publish(credit.bus, PLEDGES_TOPIC, original)
        second = pledge_registered(legit)
        await publish(credit.bus, PLEDGES_TOPIC, second, key=original.aggregate_id)
        await handled_after(credit, "credit.pledges", pledges, 3)
        assert (await loan(credit, legit))["status"] == "disbursed"

        other_bank = BANKS["bank-qingdao"].uscc
        await publish(credit.bus, PLEDGES_TOPIC, pledge_registered(foreign, other_bank))
        await publish(
            credit.bus, PLEDGES_TOPIC, pledge_registered(other_rights, patents=(OTHER_PATENT,))
        )
        dead = await eventually(lambda: len(credit.dead_letters(DLQ_PLEDGES)) == 2)
        assert dead

        await publish(credit.bus, PLEDGES_TOPIC, filing_refused(refused))
        withdrawn = await reaches(credit, refused, "offer_withdrawn")
        assert withdrawn["pledge_refusal_grounds"] == [
            {"code": "right.frozen", "message": "", "right": None}
        ]
        await publish(credit.bus, PLEDGES_TOPIC, pledge_registered(refused, number="Y2026000099"))
        await eventually(lambda: loan_events(credit, refused, "credit.pledge_release.requested"))

        await publish(credit.bus, PLEDGES_TOPIC, pledge_registered("no-such-loan"))

        clock.set(due_at(await loan(credit, unswept), "pledge_registration"))
        registered_late = pledge_registered(unswept, registered_at=clock.now())
        await publish(credit.bus, PLEDGES_TOPIC, registered_late)
        await eventually(lambda: loan_events(credit, unswept, "credit.pledge_release.requested"))

        await sweeper(credit).sweep_once()
        await publish(credit.bus, PLEDGES_TOPIC, pledge_registered(late))
        await eventually(lambda: loan_events(credit, late, "credit.pledge_release.requested"))

        accepted = await credit.client.post(f"/v1/loans/{early}/offer/accept", headers=HANGZHOU)
        assert accepted.json()["status"] == "pledge_filed"

        await announced(credit, early, "credit.pledge_filing.requested")
        await announced(credit, legit, "credit.loan.disbursed")
        paid = [e.aggregate_id for e in credit.events(LOANS_TOPIC, "credit.loan.disbursed")]
        assert paid == [legit]
        statuses = {i: (await loan(credit, i))["status"] for i in (late, unswept, refused)}
        assert set(statuses.values()) == {"offer_withdrawn"}
        for loan_id in (foreign, other_rights):
            current = await loan(credit, loan_id)
            assert (current["status"], current["withdrawal_reason"]) == (
                "offer_withdrawn",
                "pledge.not_registered_in_time",
            )
            assert current["pledge_registration_number"] is None
        assert (await quota(credit))["consumed"] == "300000.00"
