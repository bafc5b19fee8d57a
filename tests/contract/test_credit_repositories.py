"""Credit's storage contract: the same tests on the in-memory fake and on PostgreSQL.

The fake stands in for PostgreSQL in the fast service tests; these tests keep it honest.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.credit.adapters.orm import metadata
from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import Appraisal, Loan, LoanStatus
from services.credit.domain.policy import RightAppraisal
from services.credit.domain.records import QuotaMovement, StoredTerms
from services.credit.service_layer.banks import load_config
from services.credit.service_layer.unit_of_work import SqlCreditUnitOfWork
from services.credit.settings import DEFAULT_BANKS
from shared.db import create_engine, session_factory
from shared.dedup import Dedup
from shared.identifiers import make_uscc
from shared.uow import Storage
from tests.conftest import MakeDatabase
from tests.fakes.base import Store
from tests.fakes.credit import FakeCreditUnitOfWork

CONFIG = load_config(DEFAULT_BANKS)
HANGZHOU = CONFIG.banks["bank-hangzhou"]
QINGDAO = CONFIG.banks["bank-qingdao"]
START = datetime.now(UTC).replace(microsecond=0)
PATENT = "201910000042.8"

UnitsOfWork = Callable[[], Any]


@pytest.fixture(params=["fake", "postgres"])
async def units(
    request: pytest.FixtureRequest, make_database: MakeDatabase
) -> AsyncIterator[UnitsOfWork]:
    """Units of work of credit's storage: in memory, or on PostgreSQL with its migrations."""
    if request.param == "fake":
        store = Store()
        yield lambda: FakeCreditUnitOfWork(store)
        return
    engine = create_engine(await make_database("credit"))
    storage = Storage(
        session_factory(engine),
        metadata.tables["outbox"],
        metadata.tables["processed_messages"],
        "credit",
    )
    try:
        yield lambda: SqlCreditUnitOfWork(storage)
    finally:
        await engine.dispose()


def a_loan(at: datetime = START, bank: Any = HANGZHOU) -> Loan:
    return Loan.apply(
        loan_id=str(uuid.uuid4()),
        bank=bank,
        enterprise=Enterprise(
            make_uscc(5), "Suzhou Optics Co., Ltd.", "1 Renmin Road", "small", high_tech=True
        ),
        requested_amount=Decimal("2000000.00"),
        term_months=12,
        purpose="working capital",
        collateral=(CollateralRight("patent", PATENT),),
        attributable_revenue=Decimal("8000000.00"),
        industry="optics",
        now=at,
        correlation_id="case",
    )


def offer(loan: Loan, at: datetime) -> None:
    right = RightAppraisal(PATENT, "invention", Decimal("1000000.00"), None, None)
    found = Appraisal("valuation-1", (right,))
    policy = HANGZHOU.policy_at(at)
    loan.record_decision(loan.assess(policy, None, found, at), policy, at, found)


async def stored(units: UnitsOfWork, *loans: Loan) -> None:
    async with units() as uow:
        for loan in loans:
            await uow.loans.add(loan)
        await uow.commit()


async def test_a_loan_reads_back_as_it_was_saved(units: UnitsOfWork) -> None:
    loan = a_loan()
    offer(loan, START + timedelta(minutes=5))
    await stored(units, loan)
    async with units() as uow:
        found = await uow.loans.get(loan.loan_id)
    assert found is not None
    assert (found.status, found.approved_amount, found.version) == (
        LoanStatus.OFFERED,
        loan.approved_amount,
        loan.version,
    )
    assert found.enterprise == loan.enterprise and found.collateral == loan.collateral
    assert [t.kind for t in found.timeouts] == [t.kind for t in loan.timeouts]
    assert found.offer_expires_at == loan.offer_expires_at


async def test_what_is_not_committed_is_not_kept(units: UnitsOfWork) -> None:
    loan = a_loan()
    async with units() as uow:
        await uow.loans.add(loan)
    async with units() as uow:
        assert await uow.loans.get(loan.loan_id) is None


async def test_a_save_that_lost_a_race_is_refused(units: UnitsOfWork) -> None:
    loan = a_loan()
    await stored(units, loan)
    async with units() as first, units() as second:
        mine = await first.loans.get(loan.loan_id)
        theirs = await second.loans.get(loan.loan_id)
        assert mine is not None and theirs is not None
        offer(theirs, START + timedelta(minutes=1))
        await second.loans.save(theirs)
        await second.commit()
        offer(mine, START + timedelta(minutes=2))
        with pytest.raises(StaleDataError):
            await mine_save(first, mine)


async def mine_save(uow: Any, loan: Loan) -> None:
    await uow.loans.save(loan)
    await uow.commit()


async def test_a_bank_lists_its_own_loans_newest_first_a_page_at_a_time(
    units: UnitsOfWork,
) -> None:
    mine = [a_loan(START + timedelta(minutes=n)) for n in range(3)]
    other = a_loan(START + timedelta(minutes=9), bank=QINGDAO)
    offer(mine[0], START + timedelta(hours=1))
    await stored(units, *mine, other)
    async with units() as uow:
        total, page = await uow.loans.list_for_bank(HANGZHOU.bank_id, 2, 0)
        offered_total, offered = await uow.loans.list_for_bank(HANGZHOU.bank_id, 10, 0, "offered")
        _, rest = await uow.loans.list_for_bank(HANGZHOU.bank_id, 2, 2)
    assert total == 3
    assert [loan.loan_id for loan in page] == [mine[2].loan_id, mine[1].loan_id]
    assert [loan.loan_id for loan in rest] == [mine[0].loan_id]
    assert (offered_total, [loan.loan_id for loan in offered]) == (1, [mine[0].loan_id])


async def test_due_deadlines_are_found_once_per_loan(units: UnitsOfWork) -> None:
    early, late = a_loan(), a_loan()
    offer(early, START)
    offer(late, START + timedelta(days=60))
    await stored(units, early, late)
    assert early.offer_expires_at is not None
    async with units() as uow:
        due = await uow.loans.with_due_timeouts(early.offer_expires_at + timedelta(seconds=1))
        none_yet = await uow.loans.with_due_timeouts(START)
    assert (due, none_yet) == ([early.loan_id], [])


async def test_loans_are_found_by_status(units: UnitsOfWork) -> None:
    waiting, offered = a_loan(), a_loan()
    offer(offered, START)
    await stored(units, waiting, offered)
    async with units() as uow:
        found = await uow.loans.with_status(LoanStatus.OFFERED, HANGZHOU.bank_id)
        elsewhere = await uow.loans.with_status(LoanStatus.OFFERED, QINGDAO.bank_id)
    assert ([loan.loan_id for loan in found], elsewhere) == ([offered.loan_id], [])


async def test_the_quota_is_never_overdrawn(units: UnitsOfWork) -> None:
    total = Decimal("1000000.00")
    async with units() as uow:
        await uow.quotas.set_total("bank-x", total, 1)
        assert await uow.quotas.reserve("bank-x", total, Decimal("600000.00"))
        assert not await uow.quotas.reserve("bank-x", total, Decimal("400000.01"))
        await uow.quotas.settle(
            "bank-x", QuotaMovement(release=Decimal("600000.00"), consume=Decimal("600000.00"))
        )
        await uow.commit()
    async with units() as uow:
        state = await uow.quotas.get("bank-x")
        every = await uow.quotas.all()
    assert state is not None
    assert (state.total, state.reserved, state.consumed) == (total, 0, Decimal("600000.00"))
    assert state.available == Decimal("400000.00")
    assert [q.bank_id for q in every] == ["bank-x"]


async def test_a_quota_total_of_an_older_revision_never_replaces_a_newer_one(
    units: UnitsOfWork,
) -> None:
    async with units() as uow:
        await uow.quotas.set_total("bank-x", Decimal("900000.00"), 3)
        await uow.commit()
    async with units() as uow:
        await uow.quotas.set_total("bank-x", Decimal("500000.00"), 2)
        await uow.commit()
    async with units() as uow:
        kept = await uow.quotas.get("bank-x")
        await uow.quotas.set_total("bank-x", Decimal("800000.00"), 4)
        await uow.commit()
    async with units() as uow:
        raised = await uow.quotas.get("bank-x")
    assert kept is not None and kept.total == Decimal("900000.00")
    assert raised is not None and raised.total == Decimal("800000.00")


async def test_a_revision_of_the_lending_terms_is_stored_once_and_the_highest_is_newest(
    units: UnitsOfWork,
) -> None:
    first = StoredTerms(2, "a" * 64, {"revision": 2, "banks": []})
    other = StoredTerms(2, "b" * 64, {"revision": 2, "banks": [], "note": "edited"})
    older = StoredTerms(1, "c" * 64, {"revision": 1, "banks": []})
    async with units() as uow:
        assert await uow.terms.newest() is None
        assert await uow.terms.add(first)
        await uow.commit()
    async with units() as uow:
        assert not await uow.terms.add(other)
        assert await uow.terms.add(older)
        await uow.commit()
    async with units() as uow:
        newest = await uow.terms.newest()
    assert newest == first


async def test_a_consumed_event_is_claimed_once(units: UnitsOfWork) -> None:
    event = Dedup.of_event("credit.pledges", str(uuid.uuid4()), "registry.pledge.registered")
    async with units() as uow:
        assert await uow.seen_before(event) is None
        await uow.commit()
    async with units() as uow:
        earlier = await uow.seen_before(event)
    assert earlier is not None and earlier.resource_id is None


async def test_a_request_key_is_remembered_with_what_it_made(units: UnitsOfWork) -> None:
    request = Dedup.of_request("bank-hangzhou", "key-1", {"amount": "1.00"})
    async with units() as uow:
        assert await uow.seen_before(request) is None
        await uow.remember(request, "loan-7")
        await uow.commit()
    async with units() as uow:
        earlier = await uow.seen_before(request)
        assert earlier is not None
        assert (earlier.fingerprint, earlier.resource_id) == (request.fingerprint, "loan-7")
        with pytest.raises(IntegrityError):
            await uow.remember(request, "loan-8")
            await uow.commit()
