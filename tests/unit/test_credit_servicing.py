"""A disbursed loan: repayments, pledge release, default with shared losses, impairment."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.credit.domain.events import (
    ClaimRaised,
    LoanDefaulted,
    LoanRepaid,
    PledgeReleased,
    PledgeReleaseRequested,
    RepaymentReceived,
    RiskAlertRaised,
)
from services.credit.domain.loan import Loan, LoanRuleViolation, LoanStatus
from services.credit.domain.programmes import Programme, allocate_loss
from services.credit.domain.statistics import DisbursedLoan, lending_statistics
from tests.unit.test_credit_domain import (
    CONFIG,
    HANGZHOU,
    INVENTION,
    REGISTERED,
    event_types,
    filed_loan,
)

QINGDAO_SCHEME = CONFIG.programmes["qingdao-60-20-20"]
SHENZHEN_SCHEME = CONFIG.programmes["shenzhen-fund-bank"]
PAID = REGISTERED + timedelta(days=30)
NOW = REGISTERED + timedelta(days=60)


def disbursed_loan(programme: str | None = None) -> Loan:
    loan = filed_loan()
    loan.programme = programme
    loan.pledge_registered("Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    loan.collect_events()
    loan.collect_quota_movements()
    return loan


def repay(loan: Loan, amount: str, paid_at: datetime = PAID) -> None:
    loan.record_repayment(f"r-{len(loan.repayments)}", Decimal(amount), paid_at, HANGZHOU, NOW)


def test_a_partial_repayment_lowers_the_outstanding_principal() -> None:
    loan = disbursed_loan()
    repay(loan, "100000.01")
    assert loan.status is LoanStatus.REPAYING
    assert loan.outstanding_principal == Decimal("199999.99")
    [(_, received)] = loan.collect_events()
    assert isinstance(received, RepaymentReceived)
    assert (received.amount, received.outstanding_principal) == (
        Decimal("100000.01"),
        Decimal("199999.99"),
    )


def test_repaying_to_zero_requests_the_release_of_the_pledge() -> None:
    loan = disbursed_loan()
    repay(loan, "100000.01")
    repay(loan, "199999.99")
    assert loan.status is LoanStatus.REPAID
    assert loan.outstanding_principal == Decimal("0.00")
    assert loan.repaid_at == PAID
    events = [e for _, e in loan.collect_events()]
    assert [type(e) for e in events] == [
        RepaymentReceived,
        RepaymentReceived,
        LoanRepaid,
        PledgeReleaseRequested,
    ]
    release = events[-1]
    assert isinstance(release, PledgeReleaseRequested)
    assert (release.loan_id, release.registration_number, release.reason) == (
        loan.loan_id,
        "Y2026000001",
        "debt_repaid",
    )
    assert release.requested_at == NOW
    assert [r.outstanding_after for r in loan.repayments] == [
        Decimal("199999.99"),
        Decimal("0.00"),
    ]


@pytest.mark.parametrize(
    ("amount", "paid_at", "code"),
    [
        ("300000.01", PAID, "repayment.exceeds_outstanding"),
        ("0.00", PAID, "repayment.not_positive"),
        ("1.00", REGISTERED - timedelta(seconds=1), "repayment.before_disbursement"),
        ("1.00", NOW + timedelta(seconds=1), "repayment.in_future"),
    ],
)
def test_a_repayment_that_breaks_a_rule_changes_nothing(
    amount: str, paid_at: datetime, code: str
) -> None:
    loan = disbursed_loan()
    with pytest.raises(LoanRuleViolation) as raised:
        repay(loan, amount, paid_at)
    assert raised.value.code == code
    assert loan.outstanding_principal == Decimal("300000.00")
    assert loan.repayments == [] and loan.collect_events() == []


def test_only_a_live_loan_takes_repayments() -> None:
    with pytest.raises(LoanRuleViolation) as raised:
        filed_loan().record_repayment("r", Decimal("1.00"), PAID, HANGZHOU, NOW)
    assert raised.value.code == "loan.not_live"
    loan = disbursed_loan()
    repay(loan, "300000.00")
    with pytest.raises(LoanRuleViolation):
        repay(loan, "0.01")


def test_the_cancelled_pledge_closes_a_repaid_loan_once() -> None:
    loan = disbursed_loan()
    repay(loan, "300000.00")
    loan.collect_events()
    cancelled_at = NOW + timedelta(hours=2)
    for _ in range(2):
        loan.pledge_cancelled("Y2026000001", "debt_repaid", cancelled_at, NOW)
    assert loan.status is LoanStatus.CLOSED
    assert loan.pledge_released_at == cancelled_at
    [(_, released)] = loan.collect_events()
    assert isinstance(released, PledgeReleased)
    assert (released.registration_number, released.reason) == ("Y2026000001", "debt_repaid")


def test_a_cancellation_of_another_pledge_or_of_a_live_loan_is_refused() -> None:
    loan = disbursed_loan()
    with pytest.raises(LoanRuleViolation) as other:
        loan.pledge_cancelled("Y2026000999", "debt_repaid", NOW, NOW)
    assert other.value.code == "pledge.mismatch"
    with pytest.raises(LoanRuleViolation) as live:
        loan.pledge_cancelled("Y2026000001", "pledgee_waives", NOW, NOW)
    assert live.value.code == "pledge.cancelled_while_live"
    assert loan.status is LoanStatus.DISBURSED


def test_a_void_pledge_is_recorded_released_without_reopening_the_loan() -> None:
    loan = filed_loan()
    loan.pledge_refused(("right.frozen",), REGISTERED)
    loan.pledge_registered("Y2026000007", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    loan.collect_events()
    loan.pledge_cancelled("Y2026000007", "contract_void", NOW, NOW)
    assert loan.status is LoanStatus.OFFER_WITHDRAWN
    assert loan.pledge_released_at == NOW
    assert event_types(loan) == [PledgeReleased]


def test_a_default_raises_one_claim_per_party_summing_to_the_loss() -> None:
    loan = disbursed_loan("qingdao-60-20-20")
    repay(loan, "0.03")
    loan.collect_events()
    loan.declare_default(NOW, Decimal("100000.00"), QINGDAO_SCHEME, NOW)
    assert loan.status is LoanStatus.DEFAULTED
    assert loan.loss == Decimal("199999.97")
    events = [e for _, e in loan.collect_events()]
    defaulted, *claims = events
    assert isinstance(defaulted, LoanDefaulted)
    assert (defaulted.outstanding_principal, defaulted.recovered_amount, defaulted.loss) == (
        Decimal("299999.97"),
        Decimal("100000.00"),
        Decimal("199999.97"),
    )
    assert all(isinstance(c, ClaimRaised) for c in claims)
    amounts = {c.party: c.amount for c in claims if isinstance(c, ClaimRaised)}
    assert amounts == {
        "insurer": Decimal("119999.99"),
        "bank": Decimal("39999.99"),
        "guarantor": Decimal("39999.99"),
    }
    assert sum(amounts.values()) == loan.loss


def test_without_a_programme_the_bank_bears_the_whole_loss() -> None:
    loan = disbursed_loan()
    loan.declare_default(NOW, Decimal("0.00"), None, NOW)
    assert [(c.party, c.share, c.amount) for c in loan.claims] == [
        ("bank", Decimal("1"), Decimal("300000.00"))
    ]


def test_a_full_recovery_raises_no_claims_and_overrecovery_is_refused() -> None:
    loan = disbursed_loan("shenzhen-fund-bank")
    with pytest.raises(LoanRuleViolation) as raised:
        loan.declare_default(NOW, Decimal("300000.01"), SHENZHEN_SCHEME, NOW)
    assert raised.value.code == "default.recovery_exceeds_outstanding"
    loan.declare_default(NOW, Decimal("300000.00"), SHENZHEN_SCHEME, NOW)
    assert (loan.loss, loan.claims) == (Decimal("0.00"), ())
    assert event_types(loan) == [LoanDefaulted]
    with pytest.raises(LoanRuleViolation):
        loan.declare_default(NOW, Decimal("0.00"), SHENZHEN_SCHEME, NOW)


def test_the_rounding_remainder_goes_to_the_largest_share_then_the_first_listed() -> None:
    parts = allocate_loss(Decimal("0.07"), QINGDAO_SCHEME.shares)
    assert [(p.party, p.amount) for p in parts] == [
        ("insurer", Decimal("0.05")),
        ("bank", Decimal("0.01")),
        ("guarantor", Decimal("0.01")),
    ]
    halves = allocate_loss(Decimal("100.01"), SHENZHEN_SCHEME.shares)
    assert [(p.party, p.amount) for p in halves] == [
        ("fund", Decimal("50.01")),
        ("bank", Decimal("50.00")),
    ]


def test_claims_always_sum_exactly_to_the_loss() -> None:
    zhongshan = Programme.from_mapping(
        "zhongshan",
        {"shares": {"fund": "0.54", "bank": "0.26", "insurer": "0.16", "appraiser": "0.04"}},
    )
    rng = random.Random(7)
    for scheme in (QINGDAO_SCHEME, SHENZHEN_SCHEME, zhongshan):
        for _ in range(500):
            loss = Decimal(rng.randint(0, 10**10)).scaleb(-2)
            parts = allocate_loss(loss, scheme.shares)
            assert sum(p.amount for p in parts) == loss
            assert all(p.amount.as_tuple().exponent == -2 and p.amount >= 0 for p in parts)


def test_the_premium_is_the_annual_rate_pro_rata_to_the_fen() -> None:
    assert QINGDAO_SCHEME.premium(Decimal("1000000.00"), 12) == Decimal("20000.00")
    assert QINGDAO_SCHEME.premium(Decimal("333333.33"), 6) == Decimal("3333.33")
    assert SHENZHEN_SCHEME.premium(Decimal("1000000.00"), 12) == Decimal("0.00")


@pytest.mark.parametrize(
    ("new_central", "coverage", "action"),
    [
        ("600000.00", "2.0000", "top_up_collateral"),
        ("999999.99", "3.3333", "top_up_collateral"),
        ("1000000.00", "3.3333", "monitor"),
    ],
)
def test_an_impairment_raises_a_risk_alert_with_coverage(
    new_central: str, coverage: str, action: str
) -> None:
    loan = disbursed_loan()
    loan.record_impairment(
        INVENTION,
        "right.term_ending",
        Decimal("1000000.00"),
        Decimal(new_central),
        "v-2",
        HANGZHOU,
        NOW,
    )
    [(_, alert)] = loan.collect_events()
    assert isinstance(alert, RiskAlertRaised)
    assert alert.coverage_ratio == Decimal(coverage)
    assert alert.required_coverage == Decimal("3.3334")
    assert alert.suggested_action == action
    assert alert.outstanding_principal == Decimal("300000.00")
    assert loan.collateral_value == Decimal(new_central)


def test_coverage_follows_the_outstanding_principal() -> None:
    loan = disbursed_loan()
    repay(loan, "200000.00")
    loan.collect_events()
    loan.record_impairment(
        INVENTION, "right.frozen", Decimal("1000000.00"), Decimal("0.00"), "v-2", HANGZHOU, NOW
    )
    [(_, alert)] = loan.collect_events()
    assert isinstance(alert, RiskAlertRaised)
    assert (alert.coverage_ratio, alert.suggested_action) == (Decimal("0"), "top_up_collateral")


def test_only_live_loans_raise_risk_alerts() -> None:
    loan = filed_loan()
    loan.record_impairment(INVENTION, "x", Decimal("1"), Decimal("0"), "v-2", HANGZHOU, NOW)
    assert loan.collect_events() == []
    live = disbursed_loan()
    with pytest.raises(LoanRuleViolation) as raised:
        live.record_impairment("CN-other", "x", Decimal("1"), Decimal("0"), "v-2", HANGZHOU, NOW)
    assert raised.value.code == "impairment.unknown_right"


def test_statistics_count_amounts_enterprises_shares_speed_and_reasons() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)

    def loan(uscc: str, amount: str, inclusive: bool, hours: int) -> DisbursedLoan:
        return DisbursedLoan(
            uscc, Decimal(amount), inclusive, start, start + timedelta(hours=hours)
        )

    stats = lending_statistics(
        [
            loan("A", "300000.00", True, 1),
            loan("A", "100000.00", True, 2),
            loan("B", "600000.00", False, 3),
        ],
        [
            ["collateral.unusable:CN1:right.frozen", "amount.below_minimum_after_ltv"],
            ["collateral.unusable:CN1:x", "collateral.unusable:CN2:y", "term.too_long"],
        ],
    )
    assert (stats.loans_disbursed, stats.amount_disbursed, stats.enterprises) == (
        3,
        Decimal("1000000.00"),
        2,
    )
    assert stats.inclusive_share_by_count == Decimal("0.6667")
    assert stats.inclusive_share_by_amount == Decimal("0.4000")
    assert stats.average_seconds_to_disbursement == 7200.0
    assert stats.decline_reasons == {
        "amount.below_minimum_after_ltv": 1,
        "collateral.unusable": 2,
        "term.too_long": 1,
    }
    empty = lending_statistics([], [])
    assert (empty.inclusive_share_by_count, empty.average_seconds_to_disbursement) == (None, None)
