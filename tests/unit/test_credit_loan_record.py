"""What credit records of a loan's life, as the console's timeline and the bank's problems show it.

The history of statuses with their moments, the deadlines with when they fired or were
cancelled and which official schedules they were counted on, the void pledge released after
an offer ended, and the words a bank reads when a rule refuses its request.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.credit.domain.loan import Appraisal, LoanRuleViolation, LoanStatus
from services.credit.domain.policy import CreditRequest, RightAppraisal, decide
from services.credit.domain.programmes import Programme
from services.credit.domain.records import TimeoutKind
from services.credit.domain.servicing import coverage_of
from services.credit.domain.statistics import DisbursedLoan, lending_statistics
from shared.envelope import Envelope
from shared.workdays import CountedDeadline
from tests.unit.test_credit_domain import (
    ACCEPTED,
    DECIDED,
    FAR,
    HANGZHOU,
    INVENTION,
    POLICY,
    REGISTERED,
    SECOND_INVENTION,
    SUBMITTED,
    appraisal,
    filed_loan,
    new_loan,
    offered_loan,
    valued,
)
from tests.unit.test_credit_servicing import NOW, PAID, disbursed_loan

DUE = ACCEPTED + timedelta(days=3)


def payloads(loan: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(e.event_type, Envelope.payload_of(e)) for _, e in loan.collect_events()]


def test_the_history_records_each_status_with_the_moment_it_began() -> None:
    loan = offered_loan()
    loan.accept_offer(HANGZHOU, ACCEPTED, lambda at, days: CountedDeadline(DUE))
    expired = DUE + timedelta(seconds=1)
    loan.fire_due_timeouts(expired)
    assert loan.history == [
        ("awaiting_valuation", SUBMITTED),
        ("offered", DECIDED),
        ("pledge_filed", ACCEPTED),
        ("offer_withdrawn", expired),
    ]


def test_a_fired_deadline_keeps_when_it_fired_and_the_others_when_they_were_cancelled() -> None:
    loan = offered_loan()
    assert loan.timeout(TimeoutKind.PLEDGE_REGISTRATION) is None
    loan.accept_offer(HANGZHOU, ACCEPTED, lambda at, days: CountedDeadline(DUE, False, {2026: 3}))
    registration = loan.timeout(TimeoutKind.PLEDGE_REGISTRATION)
    assert registration is not None
    assert (registration.due_at, registration.provisional, registration.basis) == (
        DUE,
        False,
        {2026: 3},
    )
    offer = loan.timeout(TimeoutKind.OFFER_EXPIRY)
    assert offer is not None and (offer.cancelled_at, offer.fired_at) == (ACCEPTED, None)
    assert loan.fire_due_timeouts(DUE) == [TimeoutKind.PLEDGE_REGISTRATION]
    assert (registration.fired_at, registration.cancelled_at) == (DUE, None)
    assert loan.fire_due_timeouts(DUE + timedelta(days=1)) == []


def test_an_offer_ended_by_a_refused_pledge_cancels_its_registration_deadline() -> None:
    loan = filed_loan()
    loan.pledge_refused(("right.frozen",), REGISTERED)
    registration = loan.timeout(TimeoutKind.PLEDGE_REGISTRATION)
    assert registration is not None
    assert (registration.cancelled_at, registration.fired_at) == (REGISTERED, None)
    assert loan.history[-1] == ("offer_withdrawn", REGISTERED)
    assert loan.collect_quota_movements()[-1].release == Decimal("300000.00")


def test_a_recount_concerns_only_a_filed_loan() -> None:
    loan = offered_loan()
    moved = loan.recount_registration_deadline(
        HANGZHOU, lambda at, days: CountedDeadline(DUE), 2026, 2, NOW
    )
    assert not moved
    assert loan.collect_events() == []


def test_a_pledge_registered_after_the_offer_ended_is_released_as_a_void_contract() -> None:
    loan = filed_loan()
    loan.fire_due_timeouts(DUE)
    loan.collect_events()
    late = DUE + timedelta(hours=2)
    loan.pledge_registered("Y2026000077", HANGZHOU.uscc, {INVENTION}, HANGZHOU, late)
    assert payloads(loan) == [
        (
            "credit.pledge_release.requested",
            {
                "loan_id": "loan-1",
                "registration_number": "Y2026000077",
                "reason": "contract_void",
                "requested_at": late.isoformat(),
                "filing_reference": "loan-1",
                "pledgee_uscc": HANGZHOU.uscc,
                "patents": [INVENTION],
                "trademarks": [],
            },
        )
    ]
    cancelled = late + timedelta(days=1)
    loan.pledge_cancelled("Y2026000077", "contract_void", cancelled, cancelled)
    loan.pledge_cancelled("Y2026000077", "contract_void", cancelled, cancelled)
    assert payloads(loan) == [
        (
            "credit.pledge.released",
            {
                "loan_id": "loan-1",
                "bank_id": "bank-hangzhou",
                "registration_number": "Y2026000077",
                "reason": "contract_void",
                "released_at": cancelled.isoformat(),
            },
        )
    ]
    assert loan.status is LoanStatus.OFFER_WITHDRAWN


def test_the_earliest_known_expiry_of_the_collateral_is_kept_with_the_decision() -> None:
    loan = new_loan(collateral=(INVENTION, SECOND_INVENTION))
    valued(
        loan,
        appraisal(INVENTION, expiry=date(2041, 5, 1)),
        appraisal(SECOND_INVENTION, expiry=None),
    )
    assert loan.collateral_expires_on == date(2041, 5, 1)
    assert (loan.valuation_id, loan.appraised_value) == ("valuation-1", Decimal("2000000.00"))
    assert loan.collateral_value == Decimal("2000000.00")


def test_a_right_expiring_before_the_loan_would_mature_stops_the_acceptance() -> None:
    loan = new_loan()
    found = Appraisal("valuation-1", (appraisal(expiry=FAR),))
    policy = HANGZHOU.policy_at(DECIDED)
    loan.record_decision(loan.assess(policy, None, found, DECIDED), policy, DECIDED, found)
    loan.collateral_expires_on = date(2027, 3, 2)  # the register reported a shorter term since
    with pytest.raises(LoanRuleViolation) as raised:
        loan.accept_offer(HANGZHOU, ACCEPTED, lambda at, days: CountedDeadline(DUE))
    assert raised.value.code == "term.beyond_collateral_expiry"
    assert raised.value.message == "the loan would mature on 2027-03-02, after a right expires"
    assert loan.status is LoanStatus.OFFERED


@pytest.mark.parametrize(
    ("act", "code", "message"),
    [
        (
            lambda loan: loan.record_repayment("r", Decimal("300000.01"), PAID, HANGZHOU, NOW),
            "repayment.exceeds_outstanding",
            "300000.01 exceeds the outstanding principal 300000.00",
        ),
        (
            lambda loan: loan.record_repayment(
                "r", Decimal("1.00"), PAID.replace(tzinfo=None), HANGZHOU, NOW
            ),
            "repayment.naive_time",
            "times must carry a UTC offset",
        ),
        (
            lambda loan: loan.declare_default(NOW + timedelta(days=1), Decimal("0"), None, NOW),
            "default.in_future",
            f"{NOW + timedelta(days=1)} is later than now",
        ),
        (
            lambda loan: loan.pledge_cancelled("Y2026000001", "released", NOW, NOW),
            "pledge.cancelled_while_live",
            "pledge Y2026000001 was cancelled while principal is outstanding",
        ),
        (
            lambda loan: loan.accept_offer(HANGZHOU, NOW, lambda at, days: CountedDeadline(DUE)),
            "loan.not_offered",
            "the loan is disbursed",
        ),
    ],
    ids=["overpaid", "naive time", "future default", "live pledge cancelled", "not offered"],
)
def test_a_refused_request_tells_the_bank_why_in_words(act: Any, code: str, message: str) -> None:
    loan = disbursed_loan()
    with pytest.raises(LoanRuleViolation) as raised:
        act(loan)
    assert (raised.value.code, raised.value.message) == (code, message)
    assert loan.status is LoanStatus.DISBURSED


def test_a_repaid_loan_can_no_longer_default() -> None:
    loan = disbursed_loan()
    loan.record_repayment("r", Decimal("300000.00"), PAID, HANGZHOU, NOW)
    with pytest.raises(LoanRuleViolation) as raised:
        loan.declare_default(NOW, Decimal("0"), None, NOW)
    assert (raised.value.code, raised.value.message) == ("loan.not_live", "the loan is repaid")


def test_a_decline_for_an_exhausted_quota_keeps_the_assessment() -> None:
    request = CreditRequest(Decimal("2000000.00"), 12, "small")
    approved = decide(POLICY, request, (appraisal(),), date(2026, 3, 2))
    declined = approved.declined_for("quota.exhausted", quota="exhausted")
    assert (declined.outcome, declined.approved_amount) == ("decline", Decimal("0.00"))
    assert declined.reasons == ("quota.exhausted",)
    assert (declined.annual_rate, declined.appraised_value, declined.ceiling) == (
        Decimal("0.0385"),
        Decimal("1000000.00"),
        Decimal("300000.00"),
    )
    assert (declined.inclusive, declined.policy_version, declined.decided_by) == (
        True,
        "hz-2026.2",
        "policy",
    )
    assert declined.inputs == approved.inputs | {"quota": "exhausted"}


def test_a_decision_without_usable_collateral_reports_a_value_of_zero_yuan() -> None:
    request = CreditRequest(Decimal("2000000.00"), 12, "small")
    decision = decide(POLICY, request, (), date(2026, 3, 2))
    assert decision.outcome == "decline"
    assert str(decision.appraised_value) == "0.00"


def test_the_cap_of_a_kind_without_one_in_the_policy_is_zero() -> None:
    assert POLICY.lending_cap({"invention", "software"}) == Decimal("0.30")
    assert POLICY.lending_cap({"software"}) == Decimal("0.00")
    assert POLICY.lending_cap({"design", "utility_model"}) == Decimal("0.15")


def test_a_premium_of_exactly_half_a_fen_is_rounded_up() -> None:
    scheme = Programme("p", (("bank", Decimal("1")),), premium_rate=Decimal("0.02"))
    # 1.25 yuan at 2% for a year is 0.025 yuan
    assert scheme.premium(Decimal("1.25"), 12) == Decimal("0.03")
    assert scheme.premium(Decimal("1.75"), 12) == Decimal("0.04")


def test_an_unusable_right_is_noted_and_lends_nothing() -> None:
    reasons = decide(
        POLICY,
        CreditRequest(Decimal("200000.00"), 12, "small"),
        (
            RightAppraisal(INVENTION, "invention", Decimal("0.00"), "lapsed", FAR),
            appraisal(SECOND_INVENTION),
        ),
        date(2026, 3, 2),
    ).reasons
    assert reasons == (f"collateral.unusable:{INVENTION}:lapsed",)


@pytest.mark.parametrize(
    ("act", "code", "message"),
    [
        (
            lambda loan: loan.declare_default(NOW, Decimal("300000.01"), None, NOW),
            "default.recovery_exceeds_outstanding",
            "recovered 300000.01 of 300000.00 outstanding",
        ),
        (
            lambda loan: loan.record_impairment(
                SECOND_INVENTION, "lapsed", Decimal("1"), Decimal("0"), "v-2", HANGZHOU, NOW
            ),
            "impairment.unknown_right",
            f"{SECOND_INVENTION} is not pledged for this loan",
        ),
        (
            lambda loan: loan.record_repayment("r", Decimal("0.00"), PAID, HANGZHOU, NOW),
            "repayment.not_positive",
            "a repayment must be positive",
        ),
    ],
    ids=["recovery above outstanding", "unknown right", "nothing repaid"],
)
def test_more_refusals_tell_the_bank_why(act: Any, code: str, message: str) -> None:
    loan = disbursed_loan()
    with pytest.raises(LoanRuleViolation) as raised:
        act(loan)
    assert (raised.value.code, raised.value.message) == (code, message)


def test_a_registered_pledge_for_other_rights_is_refused_in_words() -> None:
    loan = filed_loan()
    with pytest.raises(LoanRuleViolation) as raised:
        loan.pledge_registered("Y1", HANGZHOU.uscc, {SECOND_INVENTION}, HANGZHOU, REGISTERED)
    assert raised.value.message == "the registered pledge does not secure this loan's collateral"


def test_a_pledge_not_registered_in_time_is_published_with_its_reason() -> None:
    loan = filed_loan()
    assert loan.fire_due_timeouts(DUE) == [TimeoutKind.PLEDGE_REGISTRATION]
    [(_, withdrawn)] = payloads(loan)
    assert withdrawn["reason"] == "pledge.not_registered_in_time"
    assert withdrawn["detail"] == "the pledge was not registered by the deadline"


def test_the_first_filing_id_the_registry_answers_is_kept() -> None:
    loan = offered_loan()
    loan.pledge_filed_as("F-early")
    assert loan.pledge_filing_id is None, "no filing was requested yet"
    loan.accept_offer(HANGZHOU, ACCEPTED, lambda at, days: CountedDeadline(DUE))
    loan.pledge_filed_as("F-1")
    loan.pledge_filed_as("F-2")
    assert loan.pledge_filing_id == "F-1"


def test_a_default_is_dated_in_the_history() -> None:
    loan = disbursed_loan()
    loan.declare_default(NOW, Decimal("0"), None, NOW)
    assert loan.history[-1] == ("defaulted", NOW)


def test_a_kind_the_policy_excludes_gives_no_cap_at_all() -> None:
    assert POLICY.lending_cap({"design"}) == Decimal("0.00")
    assert POLICY.lending_cap(set()) == Decimal("0.00")


def test_a_programme_share_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="every share must be positive"):
        Programme("p", (("insurer", Decimal("1")), ("bank", Decimal("0"))))
    with pytest.raises(ValueError, match="shares must sum to 1"):
        Programme("empty", ())


def test_coverage_is_rounded_down_and_without_a_cap_requires_nothing() -> None:
    # 2 / 3 = 0.66666...: reported as 0.6666, never more cover than there is
    assert coverage_of(Decimal("2"), Decimal("3"), Decimal("0.30")) == (
        Decimal("0.6666"),
        Decimal("3.3334"),
        "top_up_collateral",
    )
    assert coverage_of(Decimal("5"), Decimal("3"), Decimal("0")) == (
        Decimal("1.6666"),
        Decimal("0"),
        "top_up_collateral",
    )


def test_coverage_counts_only_the_rights_that_lend() -> None:
    loan = new_loan(collateral=(INVENTION, SECOND_INVENTION))
    found = Appraisal(
        "valuation-1",
        (
            appraisal(INVENTION),
            RightAppraisal(SECOND_INVENTION, "trademark", Decimal("0.00"), "lapsed", FAR),
        ),
    )
    policy = HANGZHOU.policy_at(DECIDED)
    loan.record_decision(loan.assess(policy, None, found, DECIDED), policy, DECIDED, found)
    loan.accept_offer(HANGZHOU, ACCEPTED, lambda at, days: CountedDeadline(DUE))
    loan.pledge_registered("Y1", HANGZHOU.uscc, {INVENTION, SECOND_INVENTION}, HANGZHOU, REGISTERED)
    loan.collect_events()
    loan.record_impairment(
        INVENTION, "partial", Decimal("1000000.00"), Decimal("900000.00"), "v-2", HANGZHOU, NOW
    )
    [(_, alert)] = payloads(loan)
    # the lapsed trademark (50% cap) lends nothing: the invention's 30% cap sets the need,
    # and 30% of 900,000 no longer covers the 300,000 lent
    assert alert["required_coverage"] == "3.3334"
    assert alert["suggested_action"] == "top_up_collateral"


def test_statistics_of_no_loans_count_zero_yuan() -> None:
    empty = lending_statistics([], [])
    assert (str(empty.amount_disbursed), str(empty.inclusive_amount)) == ("0.00", "0.00")
    assert (empty.inclusive_loans, empty.average_seconds_to_disbursement) == (0, None)


def test_statistics_report_speed_to_the_millisecond_and_shares_rounded_half_up() -> None:
    start = SUBMITTED
    loans = [
        DisbursedLoan("a", Decimal("1.00"), True, start, start + timedelta(seconds=1)),
        DisbursedLoan("b", Decimal("1.00"), False, start, start + timedelta(seconds=1)),
        DisbursedLoan("c", Decimal("6.00"), True, start, start + timedelta(seconds=2.0005)),
        DisbursedLoan("a", Decimal("8.00"), False, start, start + timedelta(seconds=1)),
    ]
    stats = lending_statistics(loans, [["amount.below_minimum_after_ltv", "collateral.x:CN1:y"]])
    assert stats.average_seconds_to_disbursement == 1.25
    assert (stats.inclusive_loans, stats.inclusive_amount, stats.enterprises) == (
        2,
        Decimal("7.00"),
        3,
    )
    assert stats.inclusive_share_by_count == Decimal("0.5000")
    assert stats.inclusive_share_by_amount == Decimal("0.4375")
    assert stats.decline_reasons == {"amount.below_minimum_after_ltv": 1, "collateral.x": 1}
    third = lending_statistics(loans[:1] + [replace(loans[1], disbursed_at=start)] * 2, [])
    assert third.average_seconds_to_disbursement == 0.333


def test_a_share_of_exactly_half_a_basis_point_is_rounded_up() -> None:
    start = SUBMITTED
    loans = [
        DisbursedLoan("a", Decimal("1.00"), True, start, start),
        DisbursedLoan("b", Decimal("31.00"), False, start, start),
    ]
    # 1 yuan in 32 is 0.03125
    assert lending_statistics(loans, []).inclusive_share_by_amount == Decimal("0.0313")
