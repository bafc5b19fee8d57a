"""The comparison at the heart of reconciliation, on plain values: what disagrees, and what is
left for the next run because an event may still be on its way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.credit.domain.reconciliation import (
    Books,
    LoanOnBook,
    PledgeOnRecord,
    QuotaOnBook,
    reconcile,
)

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=2)
GRACE = timedelta(minutes=10)
BANK_USCC = "91330100609123456B"


def loan(loan_id: str = "loan-1", **changes: object) -> LoanOnBook:
    values: dict[str, object] = {
        "loan_id": loan_id,
        "bank_id": "bank-hangzhou",
        "status": "disbursed",
        "rights": frozenset({"201910000042.8"}),
        "amount": Decimal("500000.00"),
        "registration_number": "Y2026000001",
        "disbursed_at": EARLIER + timedelta(seconds=1),
        "changed_at": EARLIER + timedelta(seconds=1),
    } | changes
    return LoanOnBook(**values)  # type: ignore[arg-type]


def pledge(number: str = "Y2026000001", **changes: object) -> PledgeOnRecord:
    values: dict[str, object] = {
        "registration_number": number,
        "channel": "credit",
        "filing_reference": "loan-1",
        "pledgee_uscc": BANK_USCC,
        "rights": frozenset({"201910000042.8"}),
        "secured_amount": Decimal("500000.00"),
        "active": True,
        "registered_at": EARLIER,
        "changed_at": EARLIER,
    } | changes
    return PledgeOnRecord(**values)  # type: ignore[arg-type]


def books(loans: list[LoanOnBook], pledges: list[PledgeOnRecord], **rest: object) -> Books:
    return Books(
        {item.loan_id: item for item in loans},
        {item.registration_number: item for item in pledges},
        {"bank-hangzhou": BANK_USCC},
        **rest,  # type: ignore[arg-type]
    )


def reasons(found: Books) -> list[tuple[str, str | None]]:
    return [(m.reason.value, m.loan_id) for m in reconcile(found, NOW, GRACE)]


def test_a_loan_and_its_pledge_that_agree_reconcile() -> None:
    quota = QuotaOnBook("bank-hangzhou", Decimal("500000.00"), Decimal("500000.00"))
    assert reasons(books([loan()], [pledge()], quotas=(quota,))) == []


def test_a_cancellation_still_on_its_way_is_left_for_the_next_run() -> None:
    recent = pledge(active=False, changed_at=NOW - timedelta(minutes=1))
    settled = pledge(active=False)

    assert reasons(books([loan()], [recent])) == []
    assert reasons(books([loan()], [settled])) == [("pledge.cancelled", "loan-1")]


def test_a_pledge_registered_for_a_loan_not_yet_disbursed_waits_for_the_grace() -> None:
    filed = loan(status="pledge_filed", registration_number=None, changed_at=NOW)
    stale = loan(status="offer_withdrawn", registration_number=None)

    assert reasons(books([filed], [pledge()])) == []
    assert reasons(books([stale], [pledge()])) == [("pledge.without_live_loan", "loan-1")]


def test_repaid_and_defaulted_loans_still_hold_their_pledge() -> None:
    for status in ("repaid", "defaulted"):
        assert reasons(books([loan(status=status)], [pledge()])) == []


def test_a_bank_filing_of_its_own_needs_no_loan() -> None:
    own = pledge("Y2026000002", channel="api", filing_reference="bank-ref-7")
    assert reasons(books([loan()], [pledge(), own])) == []


def test_several_differences_of_one_pledge_are_each_reported() -> None:
    other = pledge(
        pledgee_uscc="91370200MA3C1234XY",
        secured_amount=Decimal("1.00"),
        rights=frozenset({"201910000043.6"}),
        registered_at=NOW - timedelta(minutes=30),
    )
    assert reasons(books([loan()], [other])) == [
        ("pledge.rights_differ", "loan-1"),
        ("pledge.pledgee_differs", "loan-1"),
        ("pledge.amount_differs", "loan-1"),
        ("loan.disbursed_before_registration", "loan-1"),
    ]
