"""Credit decisions and the loan saga, as a lending bank sees them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.credit.domain.events import (
    ApplicationSubmitted,
    AwaitingSignOff,
    CollateralRight,
    Enterprise,
    LoanDecided,
    LoanDisbursed,
    LoanReferred,
    OfferAccepted,
    OfferWithdrawn,
    PledgeFilingRequested,
    PledgeReleaseRequested,
    RegistrationDeadlineMoved,
)
from services.credit.domain.loan import (
    Appraisal,
    Loan,
    LoanRuleViolation,
    LoanStatus,
    RegistrationDeadline,
)
from services.credit.domain.policy import (
    Bank,
    CreditRequest,
    DecisionPolicy,
    RightAppraisal,
    decide,
    is_inclusive,
)
from services.credit.domain.records import QuotaMovement, TimeoutKind
from services.credit.service_layer.banks import load_config
from services.credit.settings import DEFAULT_BANKS
from shared.identifiers import make_uscc, patent_check_digit
from shared.workdays import CountedDeadline

CONFIG = load_config(DEFAULT_BANKS)
BANKS = CONFIG.banks
HANGZHOU = BANKS["bank-hangzhou"]
QINGDAO = BANKS["bank-qingdao"]
POLICY = HANGZHOU.policies[0]
QD_POLICY = QINGDAO.policies[0]
QINGDAO_PROGRAMME = CONFIG.programmes["qingdao-60-20-20"]


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
REGISTRATION_DUE = SUBMITTED + timedelta(days=3)
REGISTERED = SUBMITTED + timedelta(hours=5)


def by(due: datetime, provisional: bool = False) -> RegistrationDeadline:
    return lambda requested_at, working_days: CountedDeadline(due, provisional)


REGISTER_BY = by(REGISTRATION_DUE)
AS_OF = date(2026, 3, 2)
FAR = date(2039, 3, 1)
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
    expiry: date | None = FAR,
) -> RightAppraisal:
    return RightAppraisal(number, kind, Decimal(central), zero_reason, expiry)


def decide_on(
    *rights: RightAppraisal,
    requested: str = "2000000.00",
    term: int = 12,
    policy: DecisionPolicy = POLICY,
    size_class: str = "small",
) -> tuple[str, Decimal, tuple[str, ...]]:
    request = CreditRequest(Decimal(requested), term, size_class)
    decision = decide(policy, request, rights, AS_OF)
    assert isinstance(decision.approved_amount, Decimal)
    return decision.outcome, decision.approved_amount, decision.reasons


def new_loan(
    requested: str = "2000000.00",
    term: int = 12,
    collateral: tuple[str, ...] = (INVENTION,),
    bank: Bank = HANGZHOU,
) -> Loan:
    return Loan.apply(
        loan_id="loan-1",
        bank=bank,
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


def valued(loan: Loan, *rights: RightAppraisal, bank: Bank = HANGZHOU) -> None:
    """Decide as the service does when the quota covers the approval."""
    found = Appraisal("valuation-1", rights or (appraisal(),))
    policy = bank.policy_at(DECIDED)
    loan.record_decision(loan.assess(policy, None, found, DECIDED), policy, DECIDED, found)


def offered_loan(term: int = 12) -> Loan:
    loan = new_loan(term=term)
    valued(loan)
    loan.collect_events()
    return loan


def filed_loan() -> Loan:
    loan = offered_loan()
    loan.accept_offer(HANGZHOU, ACCEPTED, REGISTER_BY)
    loan.collect_events()
    return loan


def event_types(loan: Loan) -> list[type]:
    return [type(event) for _, event in loan.collect_events()]


def test_bank_policy_is_loaded_from_configuration() -> None:
    assert POLICY.version == "hz-2026.2"
    assert POLICY.ltv_caps["invention"] == Decimal("0.30")
    assert "design" in POLICY.excluded_kinds
    assert all(isinstance(cap, Decimal) for cap in POLICY.ltv_caps.values())
    assert QD_POLICY.min_remaining_years == {"invention": 10, "utility_model": 5}
    assert HANGZHOU.quota_total == Decimal("2000000000.00")
    assert QINGDAO.programmes == {"qingdao-60-20-20"}


def test_the_policy_in_force_is_the_latest_effective_version(tmp_path: Path) -> None:
    text = DEFAULT_BANKS.read_text().replace(
        "    policies:\n      - version: qd-2026.2",
        "    policies:\n"
        "      - {version: qd-2027.1, effective_from: '2027-01-01', ltv_caps: {invention: '0.2'},"
        " max_amount: '1000000.00', annual_rate: '0.04', max_term_months: 12}\n"
        "      - version: qd-2026.2",
    )
    banks = tmp_path / "banks.yaml"
    banks.write_text(text)
    qingdao = load_config(banks).banks["bank-qingdao"]
    assert qingdao.policy_at(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)).version == "qd-2026.2"
    assert qingdao.policy_at(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)).version == "qd-2027.1"
    assert qingdao.policy_version("qd-2026.2").max_amount == Decimal("5000000.00")
    with pytest.raises(LookupError):
        qingdao.policy_at(datetime(2025, 6, 1, tzinfo=UTC))


def test_programmes_must_split_the_whole_loss(tmp_path: Path) -> None:
    banks = tmp_path / "banks.yaml"
    banks.write_text(DEFAULT_BANKS.read_text().replace('guarantor: "0.20"', 'guarantor: "0.10"'))
    with pytest.raises(ValueError, match="sum to 1"):
        load_config(banks)


def test_approves_the_invention_ltv_cap_of_the_appraised_value() -> None:
    decision = decide(
        POLICY, CreditRequest(Decimal("2000000.00"), 12, "small"), (appraisal(),), AS_OF
    )
    assert decision.outcome == "approve"
    assert decision.approved_amount == Decimal("300000.00")
    assert decision.annual_rate == Decimal("0.0385")
    assert decision.appraised_value == Decimal("1000000.00")
    assert decision.reasons == ()
    assert decision.policy_version == "hz-2026.2"


def test_a_decision_records_the_inputs_it_used() -> None:
    decision = decide(
        QD_POLICY, CreditRequest(Decimal("250000.00"), 12, "small"), (appraisal(),), AS_OF
    )
    inputs = decision.inputs
    assert inputs["policy_version"] == "qd-2026.2"
    assert inputs["as_of"] == "2026-03-02"
    assert inputs["latest_maturity"] == "2027-03-17"
    assert inputs["rights"] == [
        {
            "number": INVENTION,
            "kind": "invention",
            "central": "1000000.00",
            "zero_reason": None,
            "expiry_date": "2039-03-01",
        }
    ]
    assert (inputs["lendable"], inputs["ceiling"]) == ("250000.00", "250000.00")


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
        appraisal(), appraisal(SECOND_INVENTION, "5000000.00", zero_reason="right.frozen")
    )
    assert (outcome, amount) == ("approve", Decimal("300000.00"))
    assert reasons == (f"collateral.unusable:{SECOND_INVENTION}:right.frozen",)


def test_design_patents_are_excluded_from_the_collateral() -> None:
    outcome, amount, reasons = decide_on(appraisal(DESIGN, "9000000.00", "design"))
    assert (outcome, amount) == ("decline", Decimal("0.00"))
    assert f"collateral.kind_excluded:{DESIGN}:design" in reasons
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
    ("kind", "years_left", "lends"),
    [
        ("invention", 10, True),
        ("invention", 9, False),
        ("utility_model", 5, True),
        ("utility_model", 4, False),
    ],
)
def test_a_right_below_the_minimum_remaining_term_lends_nothing(
    kind: str, years_left: int, lends: bool
) -> None:
    expiry = date(AS_OF.year + years_left, AS_OF.month, AS_OF.day)
    number = INVENTION if kind == "invention" else UTILITY
    right = appraisal(number, "4000000.00", kind, expiry=expiry)
    outcome, amount, reasons = decide_on(right, policy=QD_POLICY)
    short = f"collateral.remaining_term_short:{number}:{kind}"
    assert (outcome == "approve") is lends
    assert (short in reasons) is not lends
    assert (amount > 0) is lends


def test_a_short_remaining_term_does_not_concern_a_bank_without_a_minimum() -> None:
    assert decide_on(appraisal(expiry=date(2028, 1, 1)))[:2] == ("approve", Decimal("300000.00"))


def test_the_loan_must_end_before_the_pledged_rights_expire() -> None:
    latest_maturity = date(2027, 4, 1)
    on_that_day = appraisal(expiry=latest_maturity)
    outcome, _, reasons = decide_on(on_that_day)
    assert outcome == "decline"
    assert f"term.beyond_collateral_expiry:{INVENTION}" in reasons
    day_after = appraisal(expiry=latest_maturity + timedelta(days=1))
    assert decide_on(day_after)[0] == "approve"


def test_an_expiring_unusable_right_still_declines_since_the_registry_would_refuse() -> None:
    expired = appraisal(SECOND_INVENTION, zero_reason="right.expired", expiry=date(2026, 1, 1))
    assert decide_on(appraisal(), expired)[0] == "decline"


def test_an_unknown_expiry_refers_to_an_officer_under_a_referring_policy() -> None:
    outcome, amount, reasons = decide_on(appraisal(expiry=None), policy=QD_POLICY)
    assert (outcome, amount) == ("refer", Decimal("0.00"))
    assert reasons == (f"collateral.term_unknown:{INVENTION}",)


def test_an_unknown_expiry_is_noted_when_the_registry_checks_the_term() -> None:
    outcome, amount, reasons = decide_on(appraisal(expiry=None))
    assert (outcome, amount) == ("approve", Decimal("300000.00"))
    assert reasons == (f"collateral.term_unknown:{INVENTION}",)


def test_a_minimum_term_rule_refers_an_unknown_expiry_whatever_the_setting() -> None:
    policy = replace(QD_POLICY, unknown_expiry="registry_check")
    assert decide_on(appraisal(expiry=None), policy=policy)[0] == "refer"


def test_large_approvals_go_to_an_officer() -> None:
    review = QD_POLICY.officer_review_above
    assert review == Decimal("3000000.00")
    at_limit = decide_on(appraisal(central="20000000.00"), requested=str(review), policy=QD_POLICY)
    assert at_limit[:2] == ("approve", review)
    above = decide_on(appraisal(central="20000000.00"), requested="3000000.01", policy=QD_POLICY)
    assert above == ("refer", Decimal("0.00"), ("amount.above_officer_limit",))


def test_a_declining_reason_wins_over_a_referral() -> None:
    outcome, _, reasons = decide_on(appraisal(expiry=None), term=13, policy=QD_POLICY)
    assert outcome == "decline"
    assert reasons == (f"collateral.term_unknown:{INVENTION}", "term.too_long")


def test_a_programme_caps_amount_and_term_and_prices_the_premium() -> None:
    request = CreditRequest(Decimal("9000000.00"), 12, "small", QINGDAO_PROGRAMME)
    decision = decide(POLICY, request, (appraisal(central="30000000.00"),), AS_OF)
    assert decision.approved_amount == Decimal("5000000.00")
    assert decision.insurance_premium == Decimal("100000.00")
    longer = decide(POLICY, replace(request, term_months=18), (appraisal(),), AS_OF)
    assert longer.outcome == "decline"
    assert "programme.term_too_long" in longer.reasons


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
    assert POLICY.is_inclusive(Decimal(amount), size_class) is expected


def test_the_inclusive_limit_is_a_policy_setting() -> None:
    policy = replace(POLICY, inclusive_limit=Decimal("5000000.00"))
    assert not policy.is_inclusive(Decimal("6000000.00"), "small")
    decision = decide(
        policy,
        CreditRequest(Decimal("6000000.00"), 12, "small"),
        (appraisal(central="3e7"),),
        AS_OF,
    )
    assert (decision.approved_amount, decision.inclusive) == (Decimal("6000000.00"), False)


def test_application_waits_for_valuation() -> None:
    loan = new_loan()
    assert loan.status is LoanStatus.AWAITING_VALUATION
    events = loan.collect_events()
    assert [(v, type(e)) for v, e in events] == [(1, ApplicationSubmitted)]
    submitted = events[0][1]
    assert isinstance(submitted, ApplicationSubmitted)
    assert submitted.requested_amount == Decimal("2000000.00")
    assert submitted.bank_id == "bank-hangzhou"


def test_a_bank_lends_only_under_its_own_programmes() -> None:
    shenzhen = CONFIG.programmes["shenzhen-fund-bank"]
    with pytest.raises(LoanRuleViolation) as raised:
        Loan.apply(
            loan_id="loan-9",
            bank=QINGDAO,
            enterprise=ENTERPRISE,
            requested_amount=Decimal("500000.00"),
            term_months=12,
            purpose="working capital",
            collateral=(CollateralRight("patent", INVENTION),),
            attributable_revenue=Decimal("1000000.00"),
            industry="optics",
            now=SUBMITTED,
            programme=shenzhen,
        )
    assert raised.value.code == "programme.not_offered"


def test_approval_makes_an_offer_reserves_quota_and_starts_its_expiry() -> None:
    loan = new_loan()
    loan.collect_events()
    valued(loan)
    assert loan.status is LoanStatus.OFFERED
    assert loan.approved_amount == loan.quota_reserved == Decimal("300000.00")
    assert loan.offer_expires_at == DECIDED + timedelta(days=POLICY.offer_valid_days)
    expiry = loan.timeout(TimeoutKind.OFFER_EXPIRY)
    assert expiry is not None and expiry.due_at == loan.offer_expires_at and expiry.pending
    [(version, decided)] = loan.collect_events()
    assert version == 2
    assert isinstance(decided, LoanDecided)
    assert decided.outcome == "approve"
    assert decided.policy_version == "hz-2026.2" == loan.policy_version
    assert decided.valuation_id == "valuation-1"
    assert decided.decided_by == "policy"
    assert decided.inputs["valuation_id"] == "valuation-1" == loan.decision_inputs["valuation_id"]


def test_decline_ends_the_application() -> None:
    loan = new_loan(term=48)
    loan.collect_events()
    valued(loan)
    assert loan.status is LoanStatus.DECLINED
    assert loan.quota_reserved == Decimal("0.00") and loan.timeouts == []
    [(_, decided)] = loan.collect_events()
    assert isinstance(decided, LoanDecided)
    assert decided.outcome == "decline"
    assert decided.reasons == ("term.too_long",)
    with pytest.raises(LoanRuleViolation) as raised:
        loan.accept_offer(HANGZHOU, ACCEPTED, REGISTER_BY)
    assert raised.value.code == "loan.not_offered"


def test_a_provisional_valuation_waits_for_signoff() -> None:
    loan = new_loan()
    loan.collect_events()
    loan.await_signoff("valuation-1", Decimal("6000000.00"), DECIDED)
    assert loan.status is LoanStatus.AWAITING_SIGNOFF and loan.awaits_decision
    assert event_types(loan) == [AwaitingSignOff]
    valued(loan)
    assert loan.status is LoanStatus.OFFERED
    loan.await_signoff("valuation-2", Decimal("1.00"), DECIDED)
    assert loan.status is LoanStatus.OFFERED


def referred_loan() -> Loan:
    loan = new_loan(bank=QINGDAO)
    valued(loan, appraisal(expiry=None), bank=QINGDAO)
    loan.collect_events()
    return loan


def test_a_referral_keeps_the_policy_ceiling_for_the_officer() -> None:
    loan = new_loan(bank=QINGDAO)
    loan.collect_events()
    valued(loan, appraisal(expiry=None), bank=QINGDAO)
    assert loan.status is LoanStatus.REFERRED
    assert loan.policy_ceiling == Decimal("250000.00")
    assert loan.quota_reserved == Decimal("0.00")
    [(_, referred)] = loan.collect_events()
    assert isinstance(referred, LoanReferred)
    assert referred.reasons == (f"collateral.term_unknown:{INVENTION}",)
    assert referred.inputs["rights"][0]["expiry_date"] is None


def test_an_officer_approves_within_the_ceiling() -> None:
    loan = referred_loan()
    decision = loan.officer_decision(QINGDAO, None, "approve", None, ("term checked",), "o-7")
    assert decision.approved_amount == Decimal("250000.00")
    loan.record_decision(decision, QD_POLICY, DECIDED)
    assert loan.status is LoanStatus.OFFERED
    assert loan.decided_by == "o-7"
    assert loan.decision_inputs["officer"]["reasons"] == ["term checked"]
    [(_, decided)] = loan.collect_events()
    assert isinstance(decided, LoanDecided)
    assert (decided.outcome, decided.decided_by) == ("approve", "o-7")
    assert decided.reasons == (f"collateral.term_unknown:{INVENTION}", "term checked")


@pytest.mark.parametrize(
    ("amount", "code"),
    [("250000.01", "referral.amount_above_ceiling"), ("99999.99", "referral.amount_below_minimum")],
)
def test_an_officer_cannot_approve_outside_the_policy(amount: str, code: str) -> None:
    loan = referred_loan()
    with pytest.raises(LoanRuleViolation) as raised:
        loan.officer_decision(QINGDAO, None, "approve", Decimal(amount), ("x",), "o-7")
    assert raised.value.code == code
    assert loan.status is LoanStatus.REFERRED


def test_an_officer_declines_and_only_referrals_take_officer_decisions() -> None:
    loan = referred_loan()
    decision = loan.officer_decision(QINGDAO, None, "decline", None, ("weak",), "o-7")
    loan.record_decision(decision, QD_POLICY, DECIDED)
    assert loan.status is LoanStatus.DECLINED and loan.approved_amount == Decimal("0.00")
    with pytest.raises(LoanRuleViolation) as raised:
        loan.officer_decision(QINGDAO, None, "approve", None, ("x",), "o-7")
    assert raised.value.code == "loan.not_referred"


def test_accepting_files_the_pledge_and_starts_the_registration_deadline() -> None:
    loan = offered_loan(term=12)
    loan.accept_offer(HANGZHOU, ACCEPTED, REGISTER_BY)
    assert loan.status is LoanStatus.PLEDGE_FILED
    events = loan.collect_events()
    assert [(v, type(e)) for v, e in events] == [(3, OfferAccepted), (4, PledgeFilingRequested)]
    request = events[1][1]
    assert isinstance(request, PledgeFilingRequested)
    assert loan.maturity_date == date(2027, 3, 2)
    assert request.performance_deadline == loan.maturity_date
    assert request.secured_amount == loan.approved_amount == Decimal("300000.00")
    assert request.pledgee.uscc == HANGZHOU.uscc
    assert request.pledgor.uscc == ENTERPRISE.uscc
    assert request.filing_reference == loan.loan_id
    assert (request.patents, request.trademarks) == ((INVENTION,), ())
    assert request.registration_due_at == REGISTRATION_DUE
    offer, registration = loan.timeouts
    assert offer.kind is TimeoutKind.OFFER_EXPIRY and offer.cancelled_at == ACCEPTED
    assert registration.kind is TimeoutKind.PLEDGE_REGISTRATION
    assert registration.due_at == REGISTRATION_DUE and registration.pending


def test_the_registration_deadline_counts_the_policy_working_days_from_acceptance() -> None:
    asked: list[tuple[datetime, int]] = []

    def deadline(requested_at: datetime, working_days: int) -> CountedDeadline:
        asked.append((requested_at, working_days))
        return CountedDeadline(REGISTRATION_DUE)

    offered_loan().accept_offer(HANGZHOU, ACCEPTED, deadline)
    assert asked == [(ACCEPTED, POLICY.registration_timeout_working_days)] == [(ACCEPTED, 3)]


def test_maturity_follows_the_beijing_calendar_date() -> None:
    loan = offered_loan(term=12)
    early_morning_in_beijing = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    loan.accept_offer(HANGZHOU, early_morning_in_beijing, REGISTER_BY)
    assert loan.maturity_date == date(2027, 3, 3)


def test_an_offer_cannot_be_accepted_twice() -> None:
    loan = filed_loan()
    with pytest.raises(LoanRuleViolation) as raised:
        loan.accept_offer(HANGZHOU, ACCEPTED, REGISTER_BY)
    assert raised.value.code == "loan.not_offered"
    assert loan.collect_events() == []


def test_accepting_an_expired_offer_withdraws_it_and_releases_the_quota() -> None:
    loan = offered_loan()
    assert loan.offer_expires_at is not None
    with pytest.raises(LoanRuleViolation) as raised:
        loan.accept_offer(HANGZHOU, loan.offer_expires_at, REGISTER_BY)
    assert raised.value.code == "offer.expired"
    assert loan.status is LoanStatus.OFFER_WITHDRAWN
    assert loan.withdrawal_reason == "offer.expired"
    assert event_types(loan) == [OfferWithdrawn]
    assert loan.collect_quota_movements() == [QuotaMovement(release=Decimal("300000.00"))]


def test_the_offer_expires_when_its_deadline_fires() -> None:
    loan = offered_loan()
    assert loan.offer_expires_at is not None
    assert loan.fire_due_timeouts(loan.offer_expires_at - timedelta(seconds=1)) == []
    assert loan.fire_due_timeouts(loan.offer_expires_at) == [TimeoutKind.OFFER_EXPIRY]
    assert loan.status is LoanStatus.OFFER_WITHDRAWN
    [(_, withdrawn)] = loan.collect_events()
    assert isinstance(withdrawn, OfferWithdrawn) and withdrawn.reason == "offer.expired"
    assert loan.collect_quota_movements() == [QuotaMovement(release=Decimal("300000.00"))]
    assert loan.quota_reserved == Decimal("0.00")
    assert loan.fire_due_timeouts(loan.offer_expires_at + timedelta(days=9)) == []


def test_an_accepted_offer_no_longer_expires() -> None:
    loan = offered_loan()
    assert loan.offer_expires_at is not None
    loan.accept_offer(HANGZHOU, ACCEPTED, by(loan.offer_expires_at + timedelta(days=1)))
    assert loan.fire_due_timeouts(loan.offer_expires_at) == []
    assert loan.status is LoanStatus.PLEDGE_FILED


def test_a_pledge_not_registered_in_time_withdraws_the_offer() -> None:
    loan = filed_loan()
    assert loan.fire_due_timeouts(REGISTRATION_DUE) == [TimeoutKind.PLEDGE_REGISTRATION]
    assert (loan.status, loan.withdrawal_reason) == (
        LoanStatus.OFFER_WITHDRAWN,
        "pledge.not_registered_in_time",
    )
    assert event_types(loan) == [OfferWithdrawn]
    assert loan.collect_quota_movements() == [QuotaMovement(release=Decimal("300000.00"))]


def test_a_registration_before_acceptance_is_ignored() -> None:
    loan = offered_loan()
    loan.pledge_registered("Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    assert loan.status is LoanStatus.OFFERED
    assert loan.disbursed_at is None
    assert loan.collect_events() == []


def test_registered_pledge_disburses_the_loan_and_consumes_the_quota() -> None:
    loan = filed_loan()
    loan.pledge_registered("Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    assert loan.status is LoanStatus.DISBURSED
    assert loan.pledge_registration_number == "Y2026000001"
    assert loan.outstanding_principal == Decimal("300000.00")
    [(version, disbursed)] = loan.collect_events()
    assert version == 5
    assert isinstance(disbursed, LoanDisbursed)
    assert disbursed.amount == Decimal("300000.00")
    assert disbursed.maturity_date == loan.maturity_date
    assert disbursed.inclusive is True
    assert disbursed.insurance_premium == Decimal("0.00")
    movement = QuotaMovement(release=Decimal("300000.00"), consume=Decimal("300000.00"))
    assert loan.collect_quota_movements() == [movement]
    assert all(not t.pending for t in loan.timeouts)


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


def test_a_registration_after_the_deadline_is_void_even_before_the_sweep() -> None:
    loan = filed_loan()
    late = REGISTRATION_DUE + timedelta(minutes=1)
    loan.pledge_registered(
        "Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, late, registered_at=late
    )
    assert loan.status is LoanStatus.OFFER_WITHDRAWN
    assert loan.withdrawal_reason == "pledge.not_registered_in_time"
    events = [e for _, e in loan.collect_events()]
    assert [type(e) for e in events] == [OfferWithdrawn, PledgeReleaseRequested]
    release = events[1]
    assert isinstance(release, PledgeReleaseRequested)
    assert (release.registration_number, release.reason) == ("Y2026000001", "contract_void")
    assert loan.pledge_registration_number is None
    assert loan.stray_pledge_registration_number == "Y2026000001"


def test_a_registration_made_in_time_but_delivered_late_still_disburses() -> None:
    loan = filed_loan()
    loan.pledge_registered(
        "Y2026000001",
        HANGZHOU.uscc,
        {INVENTION},
        HANGZHOU,
        REGISTRATION_DUE + timedelta(hours=1),
        registered_at=REGISTRATION_DUE - timedelta(hours=1),
    )
    assert loan.status is LoanStatus.DISBURSED


def test_a_refused_pledge_withdraws_the_offer_and_a_later_registration_is_released() -> None:
    loan = filed_loan()
    loan.pledge_refused(("right.frozen", "pledgor.not_patentee"), REGISTERED)
    assert loan.status is LoanStatus.OFFER_WITHDRAWN
    assert loan.withdrawal_reason == "pledge.refused"
    [(_, withdrawn)] = loan.collect_events()
    assert isinstance(withdrawn, OfferWithdrawn)
    assert withdrawn.detail == "right.frozen, pledgor.not_patentee"
    for _ in range(2):
        loan.pledge_registered("Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    assert loan.status is LoanStatus.OFFER_WITHDRAWN
    assert event_types(loan) == [PledgeReleaseRequested]


def test_versions_grow_by_one_per_event_over_the_whole_saga() -> None:
    loan = new_loan()
    versions = [v for v, _ in loan.collect_events()]
    valued(loan)
    loan.accept_offer(HANGZHOU, ACCEPTED, REGISTER_BY)
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


def provisionally_filed_loan() -> Loan:
    loan = offered_loan()
    loan.accept_offer(HANGZHOU, ACCEPTED, by(REGISTRATION_DUE, provisional=True))
    loan.collect_events()
    return loan


def test_a_provisional_registration_deadline_never_fires() -> None:
    loan = provisionally_filed_loan()
    assert loan.fire_due_timeouts(REGISTRATION_DUE + timedelta(days=30)) == []
    assert loan.status is LoanStatus.PLEDGE_FILED


def test_a_pledge_registered_past_a_provisional_deadline_still_disburses() -> None:
    loan = provisionally_filed_loan()
    late = REGISTRATION_DUE + timedelta(days=2)
    loan.pledge_registered(
        "Y2027000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, late, registered_at=late
    )
    assert loan.status is LoanStatus.DISBURSED


def test_a_recount_moves_the_registration_deadline_once_and_firms_it() -> None:
    loan = provisionally_filed_loan()
    later = REGISTRATION_DUE + timedelta(days=2)
    asked: list[tuple[datetime, int]] = []

    def official(requested_at: datetime, working_days: int) -> CountedDeadline:
        asked.append((requested_at, working_days))
        return CountedDeadline(later, False, {2026: 1})

    assert loan.recount_registration_deadline(HANGZHOU, official, 2026, 1, REGISTERED)
    assert not loan.recount_registration_deadline(HANGZHOU, official, 2026, 1, REGISTERED)
    [(_, moved)] = loan.collect_events()
    assert isinstance(moved, RegistrationDeadlineMoved)
    assert (moved.previous_due_at, moved.due_at, moved.due_provisional) == (
        REGISTRATION_DUE,
        later,
        False,
    )
    assert asked == [(ACCEPTED, 3), (ACCEPTED, 3)]
    assert loan.fire_due_timeouts(later) == [TimeoutKind.PLEDGE_REGISTRATION]


def test_a_recount_leaves_a_loan_past_its_filing_alone() -> None:
    loan = filed_loan()
    loan.pledge_registered("Y2026000001", HANGZHOU.uscc, {INVENTION}, HANGZHOU, REGISTERED)
    loan.collect_events()
    moved = loan.recount_registration_deadline(
        HANGZHOU, by(REGISTRATION_DUE + timedelta(days=1)), 2026, 1, REGISTERED
    )
    assert not moved
    assert loan.collect_events() == []
