"""What credit records of a loan's life, as the console's timeline and the bank's problems show it.

The history of statuses with their moments, the deadlines with when they fired or were
cancelled and which official schedules they were counted on, the void pledge released after
an offer ended, and the words a bank reads when a rule refuses its request.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.credit.domain.loan import Appraisal, LoanRuleViolation, LoanStatus
from services.credit.domain.policy import CreditRequest, RightAppraisal, decide
from services.credit.domain.programmes import Programme
from services.credit.domain.records import TimeoutKind
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
