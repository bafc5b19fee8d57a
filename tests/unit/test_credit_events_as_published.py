"""Credit's events as subscribers receive them: every field of every payload, as submitted.

Insurers, the registry, valuation and the console read these payloads; a field that goes
missing, turns null or carries another value than the bank submitted would mislead them
silently. Each test drives a loan through its life as a bank does and compares the whole
JSON payload of each event with what the bank sent and what the policy decided.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import SCOPE_OF_GUARANTEE, Appraisal, Loan, LoanStatus
from services.credit.domain.policy import RightAppraisal
from shared.envelope import Envelope
from shared.workdays import CountedDeadline
from tests.unit.test_credit_domain import (
    CONFIG,
    HANGZHOU,
    INVENTION,
    QINGDAO,
    QINGDAO_PROGRAMME,
    SECOND_INVENTION,
)

TRADEMARK = "35512345"
SUBMITTED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
VALUED = SUBMITTED + timedelta(hours=1)
OFFICER = SUBMITTED + timedelta(hours=2)
ACCEPTED = SUBMITTED + timedelta(hours=3)
DUE = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
REGISTERED = SUBMITTED + timedelta(hours=5)
PAID = SUBMITTED + timedelta(days=30)
NOW = SUBMITTED + timedelta(days=31)
DECLARED = SUBMITTED + timedelta(days=40)
LATER = SUBMITTED + timedelta(days=41)
FAR = date(2039, 3, 1)
BORROWER = Enterprise(
    uscc="91330106MA2H0UCF1K",
    name="Qingdao Blue Lens Optics Co., Ltd.",
    address="17 Haier Road, Laoshan District, Qingdao",
    size_class="small",
    high_tech=True,
)


def payloads(loan: Loan) -> list[tuple[str, dict[str, Any]]]:
    """The events since the last call, as (event type, JSON payload) the outbox ships."""
    return [(e.event_type, Envelope.payload_of(e)) for _, e in loan.collect_events()]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def apply_to_qingdao(requested: str = "4000000.00") -> Loan:
    return Loan.apply(
        loan_id="loan-qd-1",
        bank=QINGDAO,
        enterprise=BORROWER,
        requested_amount=Decimal(requested),
        term_months=12,
        purpose="tooling for a new lens line",
        collateral=(CollateralRight("patent", INVENTION), CollateralRight("trademark", TRADEMARK)),
        attributable_revenue=Decimal("12500000.50"),
        industry="C4040 optical instruments",
        now=SUBMITTED,
        correlation_id="case-qd-1",
        programme=QINGDAO_PROGRAMME,
    )


APPRAISAL = Appraisal(
    "valuation-qd-1",
    (
        RightAppraisal(INVENTION, "invention", Decimal("10000000.00"), None, FAR),
        RightAppraisal(TRADEMARK, "trademark", Decimal("5000000.00"), None, FAR),
    ),
)

DECISION_INPUTS = {
    "policy_version": "qd-2026.2",
    "as_of": "2026-03-02",
    "requested_amount": "4000000.00",
    "term_months": 12,
    "size_class": "small",
    "programme": "qingdao-60-20-20",
    # 2 March + the 15 days the offer stays open + 12 months
    "latest_maturity": "2027-03-17",
    "rights": [
        {
            "number": INVENTION,
            "kind": "invention",
            "central": "10000000.00",
            "zero_reason": None,
            "expiry_date": "2039-03-01",
        },
        {
            "number": TRADEMARK,
            "kind": "trademark",
            "central": "5000000.00",
            "zero_reason": None,
            "expiry_date": "2039-03-01",
        },
    ],
    # 25% of 10 million + 40% of 5 million
    "lendable": "4500000.00",
    "ceiling": "4000000.00",
    "valuation_id": "valuation-qd-1",
}


def referred_to_officer() -> Loan:
    """4 million asked of Qingdao, whose officers review anything above 3 million."""
    loan = apply_to_qingdao()
    policy = QINGDAO.policy_at(VALUED)
    decision = loan.assess(policy, QINGDAO_PROGRAMME, APPRAISAL, VALUED)
    loan.record_decision(decision, policy, VALUED, APPRAISAL)
    return loan


def officer_approved() -> Loan:
    loan = referred_to_officer()
    loan.collect_events()
    decision = loan.officer_decision(
        QINGDAO,
        QINGDAO_PROGRAMME,
        "approve",
        Decimal("3500000.00"),
        ("cash flow verified",),
        "officer-3",
    )
    loan.record_decision(decision, QINGDAO.policy_version(loan.policy_version), OFFICER)
    return loan


def disbursed() -> Loan:
    loan = officer_approved()
    loan.accept_offer(QINGDAO, ACCEPTED, lambda at, days: CountedDeadline(DUE))
    loan.pledge_registered("Y2026000042", QINGDAO.uscc, {INVENTION, TRADEMARK}, QINGDAO, REGISTERED)
    loan.collect_events()
    return loan


def test_an_application_is_published_with_the_enterprise_and_collateral_as_submitted() -> None:
    loan = apply_to_qingdao()
    assert payloads(loan) == [
        (
            "credit.application.submitted",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "enterprise": {
                    "uscc": "91330106MA2H0UCF1K",
                    "name": "Qingdao Blue Lens Optics Co., Ltd.",
                    "address": "17 Haier Road, Laoshan District, Qingdao",
                    "size_class": "small",
                    "high_tech": True,
                },
                "requested_amount": "4000000.00",
                "term_months": 12,
                "purpose": "tooling for a new lens line",
                "collateral": [
                    {"right_type": "patent", "number": INVENTION},
                    {"right_type": "trademark", "number": TRADEMARK},
                ],
                "attributable_revenue": "12500000.50",
                "industry": "C4040 optical instruments",
                "submitted_at": iso(SUBMITTED),
                "programme": "qingdao-60-20-20",
            },
        )
    ]
    assert loan.inclusive, "4 million to a small enterprise is inclusive finance"


def test_a_provisional_valuation_is_published_as_awaiting_sign_off() -> None:
    loan = apply_to_qingdao()
    loan.collect_events()
    loan.await_signoff("valuation-qd-1", Decimal("14800000.00"), VALUED)
    assert payloads(loan) == [
        (
            "credit.loan.awaiting_signoff",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "valuation_id": "valuation-qd-1",
                "provisional_value": "14800000.00",
                "received_at": iso(VALUED),
            },
        )
    ]
    assert loan.status is LoanStatus.AWAITING_SIGNOFF


def test_a_loan_above_the_officer_limit_is_published_as_referred_with_its_inputs() -> None:
    loan = apply_to_qingdao()
    loan.collect_events()
    policy = QINGDAO.policy_at(VALUED)
    decision = loan.assess(policy, QINGDAO_PROGRAMME, APPRAISAL, VALUED)
    loan.record_decision(decision, policy, VALUED, APPRAISAL)
    assert payloads(loan) == [
        (
            "credit.loan.referred",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "reasons": ["amount.above_officer_limit"],
                "policy_version": "qd-2026.2",
                "valuation_id": "valuation-qd-1",
                "appraised_value": "15000000.00",
                "policy_ceiling": "4000000.00",
                "inputs": DECISION_INPUTS,
                "referred_at": iso(VALUED),
            },
        )
    ]
    assert loan.quota_reserved == Decimal("0.00"), "a referral reserves no quota"


def test_an_officer_approval_in_a_programme_keeps_its_premium_and_the_appraised_value() -> None:
    loan = officer_approved()
    offer_ends = OFFICER + timedelta(days=15)
    assert payloads(loan) == [
        (
            "credit.loan.decided",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "outcome": "approve",
                "approved_amount": "3500000.00",
                "annual_rate": "0.0410",
                "term_months": 12,
                "reasons": ["amount.above_officer_limit", "cash flow verified"],
                "policy_version": "qd-2026.2",
                "valuation_id": "valuation-qd-1",
                "appraised_value": "15000000.00",
                "inclusive": True,
                "decided_at": iso(OFFICER),
                "decided_by": "officer-3",
                "programme": "qingdao-60-20-20",
                "offer_expires_at": iso(offer_ends),
                "inputs": DECISION_INPUTS
                | {
                    "officer": {
                        "officer_id": "officer-3",
                        "outcome": "approve",
                        "reasons": ["cash flow verified"],
                        "amount": "3500000.00",
                    }
                },
            },
        )
    ]
    # 2% a year on 3.5 million for 12 months
    assert loan.insurance_premium == Decimal("70000.00")
    assert loan.quota_reserved == Decimal("3500000.00")
    assert loan.offer_expires_at == offer_ends


def test_an_officer_approval_without_an_amount_lends_the_policy_ceiling() -> None:
    loan = referred_to_officer()
    decision = loan.officer_decision(QINGDAO, QINGDAO_PROGRAMME, "approve", None, (), "officer-3")
    assert (decision.approved_amount, decision.insurance_premium) == (
        Decimal("4000000.00"),
        Decimal("80000.00"),
    )
    assert decision.appraised_value == Decimal("15000000.00")
    assert decision.ceiling == Decimal("4000000.00")


def test_an_officer_decline_in_a_programme_owes_no_premium() -> None:
    loan = referred_to_officer()
    decision = loan.officer_decision(
        QINGDAO, QINGDAO_PROGRAMME, "decline", Decimal("3500000.00"), ("weak",), "officer-3"
    )
    assert (decision.outcome, decision.approved_amount, decision.insurance_premium) == (
        "decline",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert decision.inputs["officer"]["amount"] == "0.00"
    # a declined 4 million is still inclusive: it is measured on what was asked
    assert decision.inclusive


def test_accepting_publishes_the_acceptance_and_the_filing_the_registry_needs() -> None:
    loan = officer_approved()
    loan.collect_events()
    loan.accept_offer(QINGDAO, ACCEPTED, lambda at, days: CountedDeadline(DUE, True))
    assert payloads(loan) == [
        (
            "credit.offer.accepted",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "amount": "3500000.00",
                "accepted_at": iso(ACCEPTED),
            },
        ),
        (
            "credit.pledge_filing.requested",
            {
                "loan_id": "loan-qd-1",
                "filing_reference": "loan-qd-1",
                "pledgor": {
                    "name": "Qingdao Blue Lens Optics Co., Ltd.",
                    "uscc": "91330106MA2H0UCF1K",
                    "address": "17 Haier Road, Laoshan District, Qingdao",
                },
                "pledgee": {
                    "name": "Qingdao Innovation Bank",
                    "uscc": "913702007180012344",
                    "address": "6 Hong Kong Middle Road, Qingdao",
                },
                "debt_type": "loan",
                "secured_amount": "3500000.00",
                "performance_deadline": "2027-03-02",
                "patents": [INVENTION],
                "trademarks": [TRADEMARK],
                "scope_of_guarantee": SCOPE_OF_GUARANTEE,
                "requested_at": iso(ACCEPTED),
                "registration_due_at": iso(DUE),
                "registration_due_provisional": True,
            },
        ),
    ]


def test_a_recounted_deadline_is_published_with_both_dates_and_the_schedule() -> None:
    loan = officer_approved()
    loan.accept_offer(QINGDAO, ACCEPTED, lambda at, days: CountedDeadline(DUE, True))
    loan.collect_events()
    later = DUE + timedelta(days=2)
    moved = loan.recount_registration_deadline(
        QINGDAO, lambda at, days: CountedDeadline(later, False, {2026: 4}), 2026, 4, REGISTERED
    )
    assert moved
    assert payloads(loan) == [
        (
            "credit.registration_deadline.moved",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "previous_due_at": iso(DUE),
                "due_at": iso(later),
                "due_provisional": False,
                "calendar_year": 2026,
                "calendar_version": 4,
                "moved_at": iso(REGISTERED),
            },
        )
    ]


def test_a_disbursement_is_published_with_the_premium_the_insurer_bills() -> None:
    loan = officer_approved()
    loan.accept_offer(QINGDAO, ACCEPTED, lambda at, days: CountedDeadline(DUE))
    loan.collect_events()
    loan.pledge_registered("Y2026000042", QINGDAO.uscc, {INVENTION, TRADEMARK}, QINGDAO, REGISTERED)
    assert payloads(loan) == [
        (
            "credit.loan.disbursed",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "enterprise_uscc": "91330106MA2H0UCF1K",
                "amount": "3500000.00",
                "annual_rate": "0.0410",
                "maturity_date": "2027-03-02",
                "pledge_registration_number": "Y2026000042",
                "inclusive": True,
                "disbursed_at": iso(REGISTERED),
                "programme": "qingdao-60-20-20",
                "insurance_premium": "70000.00",
            },
        )
    ]


def test_repayment_impairment_and_default_are_published_as_the_bank_reported_them() -> None:
    loan = disbursed()
    loan.record_repayment("rep-1", Decimal("500000.00"), PAID, QINGDAO, NOW)
    loan.record_impairment(
        INVENTION,
        "invalidation.partial",
        Decimal("10000000.00"),
        Decimal("6000000.00"),
        "valuation-qd-2",
        QINGDAO,
        NOW,
    )
    loan.declare_default(DECLARED, Decimal("1000000.00"), QINGDAO_PROGRAMME, LATER)
    claims = [
        ("insurer", "0.60", "1200000.00"),
        ("bank", "0.20", "400000.00"),
        ("guarantor", "0.20", "400000.00"),
    ]
    assert payloads(loan) == [
        (
            "credit.repayment.received",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "repayment_id": "rep-1",
                "amount": "500000.00",
                "paid_at": iso(PAID),
                "outstanding_principal": "3000000.00",
            },
        ),
        (
            "credit.risk_alert.raised",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "right_number": INVENTION,
                "reason": "invalidation.partial",
                "previous_central": "10000000.00",
                "new_central": "6000000.00",
                "outstanding_principal": "3000000.00",
                # 6 million cover 3 million twice; the trademark's 40% cap needs 2.5 times
                "coverage_ratio": "2.0000",
                "required_coverage": "2.5000",
                "suggested_action": "top_up_collateral",
                "valuation_id": "valuation-qd-2",
                "raised_at": iso(NOW),
            },
        ),
        (
            "credit.loan.defaulted",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "programme": "qingdao-60-20-20",
                "outstanding_principal": "3000000.00",
                "recovered_amount": "1000000.00",
                "loss": "2000000.00",
                "declared_at": iso(DECLARED),
            },
        ),
        *(
            (
                "credit.claim.raised",
                {
                    "loan_id": "loan-qd-1",
                    "bank_id": "bank-qingdao",
                    "programme": "qingdao-60-20-20",
                    "party": party,
                    "share": share,
                    "amount": amount,
                    "raised_at": iso(LATER),
                },
            )
            for party, share, amount in claims
        ),
    ]
    loan.pledge_cancelled("Y2026000042", "enforced", LATER, LATER)
    assert payloads(loan) == [
        (
            "credit.pledge.released",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "registration_number": "Y2026000042",
                "reason": "enforced",
                "released_at": iso(LATER),
            },
        )
    ]


def test_a_loan_repaid_in_full_asks_the_registry_to_release_each_pledged_right() -> None:
    loan = disbursed()
    loan.record_repayment("rep-1", Decimal("3500000.00"), PAID, QINGDAO, NOW)
    assert payloads(loan) == [
        (
            "credit.repayment.received",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "repayment_id": "rep-1",
                "amount": "3500000.00",
                "paid_at": iso(PAID),
                "outstanding_principal": "0.00",
            },
        ),
        (
            "credit.loan.repaid",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "amount": "3500000.00",
                "repaid_at": iso(PAID),
            },
        ),
        (
            "credit.pledge_release.requested",
            {
                "loan_id": "loan-qd-1",
                "registration_number": "Y2026000042",
                "reason": "debt_repaid",
                "requested_at": iso(NOW),
                "filing_reference": "loan-qd-1",
                "pledgee_uscc": "913702007180012344",
                "patents": [INVENTION],
                "trademarks": [TRADEMARK],
            },
        ),
    ]
    loan.pledge_cancelled("Y2026000042", "debt_repaid", LATER, LATER)
    assert loan.status is LoanStatus.CLOSED
    assert payloads(loan) == [
        (
            "credit.pledge.released",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "registration_number": "Y2026000042",
                "reason": "debt_repaid",
                "released_at": iso(LATER),
            },
        )
    ]


def test_an_expired_offer_is_published_as_withdrawn_with_its_reason() -> None:
    loan = officer_approved()
    loan.collect_events()
    expired = OFFICER + timedelta(days=15)
    assert loan.fire_due_timeouts(expired - timedelta(seconds=1)) == []
    loan.fire_due_timeouts(expired)
    assert payloads(loan) == [
        (
            "credit.offer.withdrawn",
            {
                "loan_id": "loan-qd-1",
                "bank_id": "bank-qingdao",
                "reason": "offer.expired",
                "detail": "the offer expired before acceptance",
                "withdrawn_at": iso(expired),
            },
        )
    ]
    assert loan.collect_quota_movements()[-1].release == Decimal("3500000.00")


def test_a_policy_decline_is_published_with_every_reason() -> None:
    loan = Loan.apply(
        loan_id="loan-hz-9",
        bank=HANGZHOU,
        enterprise=BORROWER,
        requested_amount=Decimal("600000.00"),
        term_months=48,
        purpose="working capital",
        collateral=(CollateralRight("patent", SECOND_INVENTION),),
        attributable_revenue=Decimal("100.00"),
        industry="optics",
        now=SUBMITTED,
    )
    loan.collect_events()
    found = Appraisal(
        "valuation-hz-9",
        (RightAppraisal(SECOND_INVENTION, "invention", Decimal("200000.00"), None, FAR),),
    )
    policy = HANGZHOU.policy_at(VALUED)
    loan.record_decision(loan.assess(policy, None, found, VALUED), policy, VALUED, found)
    [(event_type, payload)] = payloads(loan)
    assert event_type == "credit.loan.decided"
    assert {k: v for k, v in payload.items() if k != "inputs"} == {
        "loan_id": "loan-hz-9",
        "bank_id": "bank-hangzhou",
        "outcome": "decline",
        "approved_amount": "0.00",
        "annual_rate": "0.0385",
        "term_months": 48,
        "reasons": ["term.too_long", "amount.below_minimum_after_ltv"],
        "policy_version": "hz-2026.2",
        "valuation_id": "valuation-hz-9",
        "appraised_value": "200000.00",
        "inclusive": True,
        "decided_at": iso(VALUED),
        "decided_by": "policy",
        "programme": None,
        "offer_expires_at": None,
    }
    assert payload["inputs"]["ceiling"] == "60000.00"
    assert loan.correlation_id == "loan-hz-9", "without a case id the loan is its own case"
    assert CONFIG.banks["bank-hangzhou"] is HANGZHOU
