"""Credit's handlers through its message bus, on in-memory storage: the saga in milliseconds.

PostgreSQL-specific behaviour (concurrent offers against the quota, durable timeouts across a
restart) is tested in tests/integration; the fake used here is held to PostgreSQL's behaviour
by tests/contract/test_credit_repositories.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.credit.bootstrap import bootstrap
from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import Loan, LoanStatus
from services.credit.domain.policy import RightAppraisal
from services.credit.service_layer import commands as c
from services.credit.service_layer.banks import load_config
from services.credit.service_layer.deps import CreditDeps
from services.credit.settings import DEFAULT_BANKS
from shared.calendars import CalendarBook
from shared.context import EventContext
from shared.dedup import Dedup
from shared.identifiers import make_uscc
from shared.kernel.clock import ManualClock
from shared.kernel.errors import Conflict, Forbidden, NotFound
from shared.messagebus import KeyReused, MessageBus
from shared.workdays import OfficialCalendar
from tests.fakes.base import Store
from tests.fakes.credit import FakeCreditUnitOfWork

CONFIG = load_config(DEFAULT_BANKS)
HANGZHOU = CONFIG.banks["bank-hangzhou"]
PATENT = "201910000042.8"
# A Tuesday in a year the calendar knows; every test runs on this clock.
START = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


class Credit:
    """Credit's bus on fake storage, with its clock and what it published."""

    def __init__(self) -> None:
        self.store = Store()
        self.clock = ManualClock(START)
        calendar = OfficialCalendar()
        deps = CreditDeps(
            CONFIG.banks, CONFIG.programmes, calendar, self.clock, CalendarBook(calendar)
        )
        self.bus: MessageBus[FakeCreditUnitOfWork] = bootstrap(
            lambda: FakeCreditUnitOfWork(self.store), deps
        )

    async def apply(self, amount: str = "2000000.00", key: str | None = None) -> Loan:
        command = c.ApplyForLoan(
            bank_id=HANGZHOU.bank_id,
            enterprise=Enterprise(make_uscc(3), "Ningbo Optics", "1 Road", "small", True),
            requested_amount=Decimal(amount),
            term_months=12,
            purpose="working capital",
            collateral=(CollateralRight("patent", PATENT),),
            attributable_revenue=Decimal("8000000.00"),
            industry="optics",
        )
        dedup = Dedup.of_request(HANGZHOU.bank_id, key, {"amount": amount}) if key else None
        handled = await self.bus.handle(command, dedup=dedup, context=EventContext("case-7"))
        return handled.result

    async def valued(self, loan_id: str, central: str = "1000000.00") -> None:
        right = RightAppraisal(PATENT, "invention", Decimal(central), None, None)
        await self.bus.handle(c.RecordValuation(loan_id, "valuation-1", (right,)))

    async def loan(self, loan_id: str) -> Loan:
        return await self.bus.query(c.GetLoan(loan_id, HANGZHOU.bank_id))

    def published(self, event_type: str) -> list[str]:
        return [e.aggregate_id for e in self.store.events(event_type)]

    async def registered(self, loan_id: str, pledgee: str = HANGZHOU.uscc) -> None:
        command = c.RecordPledgeOutcome(
            loan_id, True, "Y2026000001", pledgee, frozenset({PATENT}), ()
        )
        await self.bus.handle(command)


@pytest.fixture
def credit() -> Credit:
    return Credit()


async def test_an_application_is_stored_and_announced_under_its_case(credit: Credit) -> None:
    loan = await credit.apply()
    assert (await credit.loan(loan.loan_id)).status is LoanStatus.AWAITING_VALUATION
    [submitted] = credit.store.events("credit.application.submitted")
    assert (submitted.aggregate_id, submitted.correlation_id) == (loan.loan_id, "case-7")


async def test_a_valuation_makes_an_offer_and_reserves_the_quota(credit: Credit) -> None:
    loan = await credit.apply()
    await credit.valued(loan.loan_id)
    offered = await credit.loan(loan.loan_id)
    assert (offered.status, offered.approved_amount) == (LoanStatus.OFFERED, Decimal("300000.00"))
    [quota] = await credit.bus.query(c.QuotaPositions())
    assert quota.reserved == Decimal("300000.00")
    [decided] = credit.store.events("credit.loan.decided")
    assert decided.correlation_id == "case-7"


async def test_accepting_the_offer_files_the_pledge_and_disbursement_waits_for_it(
    credit: Credit,
) -> None:
    loan = await credit.apply()
    await credit.valued(loan.loan_id)
    await credit.bus.handle(c.AcceptOffer(loan.loan_id, HANGZHOU.bank_id))
    assert credit.published("credit.pledge_filing.requested") == [loan.loan_id]
    assert credit.published("credit.loan.disbursed") == []
    await credit.registered(loan.loan_id)
    disbursed = await credit.loan(loan.loan_id)
    assert disbursed.status is LoanStatus.DISBURSED
    assert credit.published("credit.loan.disbursed") == [loan.loan_id]
    [quota] = await credit.bus.query(c.QuotaPositions())
    assert (quota.reserved, quota.consumed) == (0, Decimal("300000.00"))


async def test_a_pledge_to_another_bank_never_disburses(credit: Credit) -> None:
    loan = await credit.apply()
    await credit.valued(loan.loan_id)
    await credit.bus.handle(c.AcceptOffer(loan.loan_id, HANGZHOU.bank_id))
    with pytest.raises(Exception, match="does not secure"):
        await credit.registered(loan.loan_id, pledgee=make_uscc(99))
    assert (await credit.loan(loan.loan_id)).status is LoanStatus.PLEDGE_FILED
    assert credit.published("credit.loan.disbursed") == []


async def test_a_pledge_not_registered_in_time_withdraws_the_offer_and_frees_the_quota(
    credit: Credit,
) -> None:
    loan = await credit.apply()
    await credit.valued(loan.loan_id)
    await credit.bus.handle(c.AcceptOffer(loan.loan_id, HANGZHOU.bank_id))
    credit.clock.advance(timedelta(days=7))
    due = await credit.bus.query(c.DueTimeouts(10))
    assert due == [loan.loan_id]
    await credit.bus.handle(c.FireTimeouts(loan.loan_id))
    assert (await credit.loan(loan.loan_id)).status is LoanStatus.OFFER_WITHDRAWN
    [quota] = await credit.bus.query(c.QuotaPositions())
    assert quota.reserved == 0


async def test_an_offer_found_lapsed_is_withdrawn_even_though_acceptance_is_refused(
    credit: Credit,
) -> None:
    loan = await credit.apply()
    await credit.valued(loan.loan_id)
    credit.clock.advance(timedelta(days=31))
    with pytest.raises(Conflict) as refused:
        await credit.bus.handle(c.AcceptOffer(loan.loan_id, HANGZHOU.bank_id))
    assert refused.value.code == "offer.expired"
    assert (await credit.loan(loan.loan_id)).status is LoanStatus.OFFER_WITHDRAWN
    assert credit.published("credit.offer.withdrawn") == [loan.loan_id]


async def test_a_retried_application_returns_the_first_loan(credit: Credit) -> None:
    first = await credit.apply(key="app-1")
    handled = await credit.bus.handle(
        c.ApplyForLoan(
            HANGZHOU.bank_id,
            first.enterprise,
            first.requested_amount,
            12,
            "working capital",
            first.collateral,
            Decimal("8000000.00"),
            "optics",
        ),
        dedup=Dedup.of_request(HANGZHOU.bank_id, "app-1", {"amount": "2000000.00"}),
    )
    assert handled.replayed and handled.result.loan_id == first.loan_id
    assert len(credit.published("credit.application.submitted")) == 1
    with pytest.raises(KeyReused):
        await credit.apply(amount="1000000.00", key="app-1")


async def test_a_redelivered_event_has_no_second_effect(credit: Credit) -> None:
    loan = await credit.apply()
    right = RightAppraisal(PATENT, "invention", Decimal("1000000.00"), None, None)
    command = c.RecordValuation(loan.loan_id, "valuation-1", (right,))
    event = Dedup.of_event("credit.valuations", "event-1", "valuation.completed")
    first = await credit.bus.handle(command, dedup=event)
    again = await credit.bus.handle(command, dedup=event)
    assert (first.replayed, again.replayed) == (False, True)
    assert len(credit.published("credit.loan.decided")) == 1


async def test_another_banks_loan_looks_missing_and_a_bank_without_lending_terms_is_refused(
    credit: Credit,
) -> None:
    loan = await credit.apply()
    with pytest.raises(NotFound):
        await credit.bus.query(c.GetLoan(loan.loan_id, "bank-qingdao"))
    with pytest.raises(Forbidden) as unknown:
        await credit.bus.query(c.GetLoan(loan.loan_id, "bank-nobody"))
    assert unknown.value.code == "bank.no_lending_terms"


async def test_a_refused_command_leaves_nothing_behind(credit: Credit) -> None:
    loan = await credit.apply()
    commits = credit.store.commits
    with pytest.raises(Conflict):
        await credit.bus.handle(c.AcceptOffer(loan.loan_id, HANGZHOU.bank_id))
    assert credit.store.commits == commits
    assert credit.published("credit.offer.accepted") == []
