"""Credit decisions and the loan saga, as a lending bank sees them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.credit.domain.events import (
    ApplicationSubmitted,
    CollateralRight,
    Enterprise,
    LoanDecided,
    LoanDisbursed,
    OfferAccepted,
    OfferWithdrawn,
    PledgeFilingRequested,
)
from services.credit.domain.loan import Loan, LoanRuleViolation, LoanStatus
from services.credit.domain.policy import RightAppraisal, decide, is_inclusive
from services.credit.service_layer.banks import load_banks
from services.credit.settings import DEFAULT_BANKS
from shared.identifiers import make_uscc, patent_check_digit

BANKS = load_banks(DEFAULT_BANKS)
HANGZHOU = BANKS["bank-hangzhou"]
QINGDAO = BANKS["bank-qingdao"]
POLICY = HANGZHOU.policy


def patent_number(serial: int, type_digit: str = "1") -> str:
    digits = f"2019{type_digit}{serial:07d}"
    return f"{digits}.{patent_check_digit(digits)}"


INVENTION = patent_number(1)
SECOND_INVENTION = patent_number(2)
UTILITY = patent_number(3, "2")
DESIGN = patent_number(4, "3")

SUBMITTED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DECIDED = SUBMITTED + timedelta(hours=1)
ACCEPTED = SUBMITTED + timedelta(hours=3)
REGISTERED = SUBMITTED + timedelta(hours=5)
ENTERPRISE = Enterprise(
    uscc=make_uscc(7),
    name="Hangzhou Lens Optics Co., Ltd.",
    address="9 Wensan Road, Hangzhou",
    size_class="small",
    high_tech=True,
)


def appraisal(
    number: str = INVENTION,
    central: str = "1000000.00",
    kind: str = "invention",
    zero_reason: str | None = None,
) -> RightAppraisal:
    return RightAppraisal(number, kind, Decimal(central), zero_reason)


def decide_on(
    *rights: RightAppraisal, requested: str = "2000000.00", term: int = 12
) -> tuple[str, Decimal, tuple[str, ...]]:
    decision = decide(POLICY, Decimal(requested), term, rights)
    assert isinstance(decision.approved_amount, Decimal)
    return decision.outcome, decision.approved_amount, decision.reasons


def new_loan(
    requested: str = "2000000.00", term: int = 12, collateral: tuple[str, ...] = (INVENTION,)
) -> Loan:
    return Loan.apply(
        loan_id="loan-1",
        bank=HANGZHOU,
        enterprise=ENTERPRISE,
        requested_amount=Decimal(requested),
        term_months=term,
        purpose="working capital",
        collateral=tuple(CollateralRight("patent", n) for n in collateral),
        attributable_revenue=Decimal("8000000.00"),
        industry="optics",
        now=SUBMITTED,
        correlation_id="case-1",
    )


def offered_loan(term: int = 12) -> Loan:
    loan = new_loan(term=term)
    appraisals = tuple(appraisal(c.number) for c in loan.collateral)
    loan.record_valuation(HANGZHOU, "valuation-1", appraisals, DECIDED)
    loan.collect_events()
    return loan


def filed_loan() -> Loan:
    loan = offered_loan()
    loan.accept_offer(HANGZHOU, ACCEPTED)
    loan.collect_events()
    return loan


def event_types(loan: Loan) -> list[type]:
    return [type(event) for _, event in loan.collect_events()]


def test_bank_policy_is_loaded_from_configuration() -> None:
    assert POLICY.version == "hz-2026.1"
    assert POLICY.ltv_caps["invention"] == Decimal("0.30")
    assert "design" in POLICY.excluded_kinds
    assert all(isinstance(cap, Decimal) for cap in POLICY.ltv_caps.values())


def test_approves_the_invention_ltv_cap_of_the_appraised_value() -> None:
    decision = decide(POLICY, Decimal("2000000.00"), 12, (appraisal(),))
    assert decision.outcome == "approve"
    assert decision.approved_amount == Decimal("300000.00")
    assert decision.annual_rate == Decimal("0.0385")
    assert decision.appraised_value == Decimal("1000000.00")
    assert decision.reasons == ()


def test_sums_lendable_value_over_rights_with_their_own_caps() -> None:
    outcome, amount, _ = decide_on(appraisal(), appraisal(UTILITY, "1000000.00", "utility_model"))
    assert (outcome, amount) == ("approve", Decimal("450000.00"))


def test_never_lends_more_than_requested() -> None:
    assert decide_on(appraisal(), requested="250000.00")[:2] == ("approve", Decimal("250000.00"))


def test_never_lends_more_than_the_bank_maximum() -> None:
    outcome, amount, _ = decide_on(appraisal(central="50000000.00"), requested="20000000.00")
    assert (outcome, amount) == ("approve", POLICY.max_amount)


@pytest.mark.parametrize(
    ("central", "kind", "expected"),
    [
        ("1000000.03", "invention", "300000.00"),
        ("333333.37", "invention", "100000.01"),
        ("1000000.07", "utility_model", "150000.01"),
    ],
)
def test_rounds_down_to_the_fen(central: str, kind: str, expected: str) -> None:
    _, amount, _ = decide_on(appraisal(central=central, kind=kind))
    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2


def test_declines_when_the_only_collateral_is_unusable() -> None:
    outcome, amount, reasons = decide_on(appraisal(central="0.00", zero_reason="right.frozen"))
    assert (outcome, amount) == ("decline", Decimal("0.00"))
    assert f"collateral.unusable:{INVENTION}:right.frozen" in reasons
    assert "amount.below_minimum_after_ltv" in reasons


def test_unusable_right_is_reported_but_the_others_still_secure_the_loan() -> None:
    outcome, amount, reasons = decide_on(
        appraisal(), appraisal(SECOND_INVENTION, "5000000.00", zero_reason="right.expired")
    )
    assert (outcome, amount) == ("approve", Decimal("300000.00"))
    assert reasons == (f"collateral.unusable:{SECOND_INVENTION}:right.expired",)


def test_design_patents_are_excluded_from_the_collateral() -> None:
    outcome, amount, reasons = decide_on(appraisal(DESIGN, "9000000.00", "design"))
    assert (outcome, amount) == ("decline", Decimal("0.00"))
    assert f"collateral.kind_excluded:{DESIGN}:design" in reasons
    assert "amount.below_minimum_after_ltv" in reasons
    mixed = decide_on(appraisal(), appraisal(DESIGN, "9000000.00", "design"))
    assert mixed[:2] == ("approve", Decimal("300000.00"))


def test_declines_a_term_beyond_the_policy_maximum() -> None:
    outcome, amount, reasons = decide_on(appraisal(), term=POLICY.max_term_months + 1)
    assert (outcome, amount, reasons) == ("decline", Decimal("0.00"), ("term.too_long",))
    assert decide_on(appraisal(), term=POLICY.max_term_months)[0] == "approve"


def test_declines_when_the_ltv_amount_is_below_the_minimum() -> None:
    outcome, amount, reasons = decide_on(appraisal(central="300000.00"))
    assert (outcome, amount) == ("decline", Decimal("0.00"))
    assert reasons == ("amount.below_minimum_after_ltv",)
    assert decide_on(appraisal(central="333333.34"))[:2] == ("approve", Decimal("100000.00"))


@pytest.mark.parametrize(
    ("amount", "size_class", "expected"),
    [
        ("9999999.99", "small", True),
        ("500000.00", "micro", True),
        ("500000.00", "medium", True),
        ("10000000.00", "small", False),
        ("500000.00", "large", False),
    ],
)
def test_inclusive_finance_is_small_business_below_ten_million(
    amount: str, size_class: str, expected: bool
) -> None:
    assert is_inclusive(Decimal(amount), size_class) is expected


def test_application_waits_for_valuation() -> None:
    loan = new_loan()
    assert loan.status is LoanStatus.AWAITING_VALUATION
    events = loan.collect_events()
    assert [(v, type(e)) for v, e in events] == [(1, ApplicationSubmitted)]
    submitted = events[0][1]
    assert isinstance(submitted, ApplicationSubmitted)
    assert submitted.requested_amount == Decimal("2000000.00")
    assert submitted.bank_id == "bank-hangzhou"


def test_approval_makes_an_offer_under_the_policy_version() -> None:
    loan = new_loan()
    loan.collect_events()
    loan.record_valuation(HANGZHOU, "valuation-1", (appraisal(),), DECIDED)
    assert loan.status is LoanStatus.OFFERED
    assert loan.approved_amount == Decimal("300000.00")
    assert loan.offer_expires_at == DECIDED + timedelta(days=POLICY.offer_valid_days)
    [(version, decided)] = loan.collect_events()
    assert version == 2
    assert isinstance(decided, LoanDecided)
    assert decided.outcome == "approve"
    assert decided.policy_version == "hz-2026.1" == loan.policy_version
    assert decided.valuation_id == "valuation-1"
    assert decided.approved_amount == Decimal("300000.00")


def test_decline_ends_the_application() -> None:
    loan = new_loan(term=48)
    loan.collect_events()
    loan.record_valuation(HANGZHOU, "valuation-1", (appraisal(),), DECIDED)
    assert loan.status is LoanStatus.DECLINED
    [(_, decided)] = loan.collect_events()
    assert isinstance(decided, LoanDecided)
    assert decided.outcome == "decline"
    assert decided.reasons == ("term.too_long",)
    with pytest.raises(LoanRuleViolation) as raised:
        loan.accept_offer(HANGZHOU, ACCEPTED)
    assert raised.value.code == "loan.not_offered"


def test_accepting_files_the_pledge_for_the_approved_amount() -> None:
    loan = offered_loan(term=12)
    loan.accept_offer(HANGZHOU, ACCEPTED)
    assert loan.status is LoanStatus.PLEDGE_FILED
    events = loan.collect_events()
    assert [(v, type(e)) for v, e in events] == [(3, OfferAccepted), (4, PledgeFilingRequested)]
    request = events[1][1]
    assert isinstance(request, PledgeFilingRequested)
    assert loan.maturity_date == date(2027, 3, 2)
    assert request.performance_deadline == loan.maturity_date
    assert request.secured_amount == loan.approved_amount == Decimal("300000.00")
    assert isinstance(request.secured_amount, Decimal)
    assert request.pledgee.uscc == HANGZHOU.uscc
    assert request.pledgor.uscc == ENTERPRISE.uscc
    assert request.filing_reference == loan.loan_id
    assert request.patents == (INVENTION,)
    assert request.trademarks == ()


def test_maturity_follows_the_beijing_calendar_date() -> None:
    loan = offered_loan(term=12)
    early_morning_in_beijing = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    loan.accept_offer(HANGZHOU, early_morning_in_beijing)
    assert loan.maturity_date == date(2027, 3, 3)


def test_an_offer_cannot_be_accepted_twice() -> None:
    loan = filed_loan()
    with pytest.raises(LoanRuleViolation) as raised:
        loan.accept_offer(HANGZHOU, ACCEPTED)
    assert raised.value.code == "loan.not_offered"
    assert loan.status is LoanStatus.PLEDGE_FILED
    assert loan.collect_events() == []


def test_an_expired_offer_is_withdrawn() -> None:
    loan = offered_loan()
    assert loan.offer_expires_at is not None
    with pytest.raises(LoanRuleViolation) as raised:
        loan.accept_offer(HANGZHOU, loan.offer_expires_at)
    assert raised.value.code == "offer.expired"
    assert loan.status is LoanStatus.OFFER_WITHDRAWN
    assert loan.withdrawal_reason == "offer.expired"
    assert event_types(loan) == [OfferWithdrawn]


def test_a_registration_before_acceptance_is_ignored() -> None:
    loan = offered_loan()
    loan.pledge_registered("Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    assert loan.status is LoanStatus.OFFERED
    assert loan.disbursed_at is None
    assert loan.collect_events() == []


def test_registered_pledge_disburses_the_loan() -> None:
    loan = filed_loan()
    loan.pledge_registered("Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    assert loan.status is LoanStatus.DISBURSED
    assert loan.pledge_registration_number == "Y2026000001"
    [(version, disbursed)] = loan.collect_events()
    assert version == 5
    assert isinstance(disbursed, LoanDisbursed)
    assert disbursed.amount == Decimal("300000.00")
    assert disbursed.maturity_date == loan.maturity_date
    assert disbursed.inclusive is True


@pytest.mark.parametrize(
    ("pledgee", "rights"),
    [
        (QINGDAO.uscc, {INVENTION}),
        (HANGZHOU.uscc, {SECOND_INVENTION}),
        (HANGZHOU.uscc, {INVENTION, SECOND_INVENTION}),
    ],
    ids=["other-pledgee", "other-right", "extra-right"],
)
def test_a_pledge_that_does_not_secure_this_loan_never_disburses(
    pledgee: str, rights: set[str]
) -> None:
    loan = filed_loan()
    with pytest.raises(LoanRuleViolation) as raised:
        loan.pledge_registered("Y2026000001", pledgee, rights, HANGZHOU, REGISTERED)
    assert raised.value.code == "pledge.mismatch"
    assert loan.status is LoanStatus.PLEDGE_FILED
    assert loan.disbursed_at is None
    assert loan.collect_events() == []


def test_a_duplicate_registration_disburses_once() -> None:
    loan = filed_loan()
    for _ in range(2):
        loan.pledge_registered("Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    assert event_types(loan) == [LoanDisbursed]
    assert loan.status is LoanStatus.DISBURSED


def test_a_refused_pledge_withdraws_the_offer() -> None:
    loan = filed_loan()
    loan.pledge_refused(("right.frozen", "pledgor.not_patentee"), REGISTERED)
    assert loan.status is LoanStatus.OFFER_WITHDRAWN
    assert loan.withdrawal_reason == "pledge.refused"
    [(_, withdrawn)] = loan.collect_events()
    assert isinstance(withdrawn, OfferWithdrawn)
    assert withdrawn.detail == "right.frozen, pledgor.not_patentee"
    loan.pledge_registered("Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    assert loan.status is LoanStatus.OFFER_WITHDRAWN


def test_versions_grow_by_one_per_event_over_the_whole_saga() -> None:
    loan = new_loan()
    versions = [v for v, _ in loan.collect_events()]
    loan.record_valuation(HANGZHOU, "valuation-1", (appraisal(),), DECIDED)
    loan.accept_offer(HANGZHOU, ACCEPTED)
    loan.pledge_registered("Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    versions += [v for v, _ in loan.collect_events()]
    assert versions == [1, 2, 3, 4, 5]
    assert loan.version == 5
    assert [status for status, _ in loan.history] == [
        "awaiting_valuation",
        "offered",
        "pledge_filed",
        "disbursed",
    ]


def test_collateral_must_be_present_and_distinct() -> None:
    with pytest.raises(LoanRuleViolation) as missing:
        new_loan(collateral=())
    assert missing.value.code == "collateral.missing"
    with pytest.raises(LoanRuleViolation) as duplicate:
        new_loan(collateral=(INVENTION, INVENTION))
    assert duplicate.value.code == "collateral.duplicate"


def test_money_stays_decimal_through_the_saga() -> None:
    loan = filed_loan()
    for value in (loan.requested_amount, loan.approved_amount, loan.appraised_value):
        assert isinstance(value, Decimal)
    assert isinstance(loan.annual_rate, Decimal)
