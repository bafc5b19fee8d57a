"""A bank's lending terms as it writes them in banks.yaml, and what each setting does to a loan.

Every setting a bank can write is read into its policy and changes decisions: a limit that
parsed into nothing, or a default that took the place of the bank's own figure, would approve
loans the bank wants an officer to see or keep offers open longer than it allows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import Appraisal, Loan, LoanStatus
from services.credit.domain.policy import (
    Bank,
    CreditRequest,
    DecisionPolicy,
    RightAppraisal,
    decide,
    is_inclusive,
    latest_maturity_date,
)
from services.credit.domain.programmes import Programme
from services.credit.service_layer.banks import load_config
from tests.unit.test_credit_domain import INVENTION, patent_number

AS_OF = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
FAR = date(2045, 1, 1)
UTILITY = patent_number(8, "2")

# Written as a bank's credit department writes its terms: quoted money, plain integers.
WUHAN_TERMS = """
programmes:
  hubei-70-30:
    shares: {insurer: "0.70", bank: "0.30"}
    premium_rate: "0.015"
    max_amount: "2000000.00"
    max_term_months: 24
  plain-fund:
    shares: {fund: "0.5", bank: "0.5"}

banks:
  - bank_id: bank-hangzhou
    quota_total: "750000000.00"
    programmes: [hubei-70-30, plain-fund]
    policies:
      - version: hz-2025.1
        effective_from: "2025-01-01"
        ltv_caps: {invention: "0.20"}
        max_amount: "1000000.00"
        annual_rate: "0.0450"
        max_term_months: 12
      - version: hz-2026.3
        effective_from: "2026-02-01"
        ltv_caps: {invention: "0.40", utility_model: "0.10", design: "0.05"}
        excluded_kinds: [design]
        min_remaining_years: {invention: 8}
        max_amount: "5000000.00"
        min_amount: "200000.00"
        annual_rate: "0.0395"
        max_term_months: 36
        offer_valid_days: 10
        registration_timeout_working_days: 5
        officer_review_above: "3000000.00"
        unknown_expiry: registry_check
        inclusive_limit: "5000000.00"
        inclusive_size_classes: [micro, small]
"""


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    path = tmp_path / "banks.yaml"
    path.write_text(WUHAN_TERMS, encoding="utf-8")
    return load_config(path).banks["bank-hangzhou"]


@pytest.fixture
def policy(bank: Bank) -> DecisionPolicy:
    return bank.policy_version("hz-2026.3")


def invention(central: str, expiry: date | None = FAR) -> RightAppraisal:
    return RightAppraisal(INVENTION, "invention", Decimal(central), None, expiry)


def outcome_of(
    policy: DecisionPolicy, *rights: RightAppraisal, requested: str
) -> tuple[str, Decimal, tuple[str, ...]]:
    decision = decide(policy, CreditRequest(Decimal(requested), 12, "small"), rights, AS_OF)
    return decision.outcome, decision.approved_amount, decision.reasons


def test_every_setting_the_bank_wrote_is_read_as_written(
    bank: Bank, policy: DecisionPolicy
) -> None:
    assert bank.quota_total == Decimal("750000000.00")
    assert bank.programmes == {"hubei-70-30", "plain-fund"}
    assert policy == DecisionPolicy(
        version="hz-2026.3",
        effective_from=date(2026, 2, 1),
        ltv_caps={
            "invention": Decimal("0.40"),
            "utility_model": Decimal("0.10"),
            "design": Decimal("0.05"),
        },
        excluded_kinds=frozenset({"design"}),
        min_remaining_years={"invention": 8},
        max_amount=Decimal("5000000.00"),
        min_amount=Decimal("200000.00"),
        annual_rate=Decimal("0.0395"),
        max_term_months=36,
        offer_valid_days=10,
        registration_timeout_working_days=5,
        officer_review_above=Decimal("3000000.00"),
        unknown_expiry="registry_check",
        inclusive_limit=Decimal("5000000.00"),
        inclusive_size_classes=frozenset({"micro", "small"}),
    )


def test_settings_a_bank_leaves_out_take_the_documented_defaults(bank: Bank) -> None:
    older = bank.policy_version("hz-2025.1")
    assert older.min_amount == Decimal("10000")
    assert older.offer_valid_days == 30
    assert older.registration_timeout_working_days == 3
    assert older.officer_review_above is None
    assert older.unknown_expiry == "refer"
    assert older.excluded_kinds == frozenset()
    assert older.min_remaining_years == {}
    assert older.inclusive_limit == Decimal("10000000.00")
    assert older.inclusive_size_classes == {"micro", "small", "medium"}


def test_above_the_officer_limit_an_approval_waits_for_an_officer(
    policy: DecisionPolicy,
) -> None:
    # 40% of 8 million: 3.2 million, above the 3 million the bank's officers must review
    assert outcome_of(policy, invention("8000000.00"), requested="3200000.00") == (
        "refer",
        Decimal("0.00"),
        ("amount.above_officer_limit",),
    )
    assert outcome_of(policy, invention("8000000.00"), requested="3000000.00") == (
        "approve",
        Decimal("3000000.00"),
        (),
    )


def test_without_an_officer_limit_the_policy_approves_up_to_its_maximum(bank: Bank) -> None:
    older = bank.policy_version("hz-2025.1")
    assert outcome_of(older, invention("50000000.00"), requested="1000000.00") == (
        "approve",
        Decimal("1000000.00"),
        (),
    )


def test_below_the_bank_s_minimum_amount_the_loan_is_declined(policy: DecisionPolicy) -> None:
    # 40% of 499,999.99 is 199,999.99: a fen under the bank's 200,000 minimum
    assert outcome_of(policy, invention("499999.99"), requested="1000000.00") == (
        "decline",
        Decimal("0.00"),
        ("amount.below_minimum_after_ltv",),
    )
    assert outcome_of(policy, invention("500000.00"), requested="1000000.00")[:2] == (
        "approve",
        Decimal("200000.00"),
    )


def test_the_offer_stays_open_for_the_days_the_bank_wrote(bank: Bank) -> None:
    loan = Loan.apply(
        loan_id="loan-w1",
        bank=bank,
        enterprise=Enterprise("91420100MA4KX3HT2G", "Wuhan Lens Co.", "1 Road", "small", True),
        requested_amount=Decimal("1000000.00"),
        term_months=12,
        purpose="working capital",
        collateral=(CollateralRight("patent", INVENTION),),
        attributable_revenue=Decimal("1.00"),
        industry="optics",
        now=NOW,
    )
    policy = bank.policy_at(NOW)
    found = Appraisal("v-1", (invention("5000000.00"),))
    loan.record_decision(loan.assess(policy, None, found, NOW), policy, NOW, found)
    assert loan.status is LoanStatus.OFFERED
    assert loan.offer_expires_at == NOW + timedelta(days=10)
    assert loan.fire_due_timeouts(NOW + timedelta(days=10)) != []
    assert loan.status is LoanStatus.OFFER_WITHDRAWN


def test_the_last_day_to_accept_decides_how_long_a_loan_may_run(
    policy: DecisionPolicy,
) -> None:
    # offered on 2 March, open 10 days, then 12 months
    assert latest_maturity_date(AS_OF, policy.offer_valid_days, 12) == date(2027, 3, 12)

    def utility(expiry: date) -> RightAppraisal:
        return RightAppraisal(UTILITY, "utility_model", Decimal("3000000.00"), None, expiry)

    # a right expiring on that day is too short-lived; one a day later secures the loan
    assert outcome_of(policy, utility(date(2027, 3, 12)), requested="400000.00") == (
        "decline",
        Decimal("0.00"),
        (f"term.beyond_collateral_expiry:{UTILITY}",),
    )
    assert outcome_of(policy, utility(date(2027, 3, 13)), requested="400000.00") == (
        "approve",
        Decimal("300000.00"),
        (),
    )


def test_minimum_remaining_years_and_excluded_kinds_lend_nothing(policy: DecisionPolicy) -> None:
    # eight years from 2 March 2026 is 2 March 2034
    short = invention("1000000.00", date(2034, 3, 1))
    enough = invention("1000000.00", date(2034, 3, 2))
    assert outcome_of(policy, short, requested="400000.00")[2] == (
        f"collateral.remaining_term_short:{INVENTION}:invention",
        "amount.below_minimum_after_ltv",
    )
    assert outcome_of(policy, enough, requested="400000.00")[:2] == (
        "approve",
        Decimal("400000.00"),
    )
    design = RightAppraisal(patent_number(9, "3"), "design", Decimal("9000000.00"), None, FAR)
    utility = RightAppraisal(UTILITY, "utility_model", Decimal("3000000.00"), None, None)
    outcome, amount, reasons = outcome_of(policy, design, utility, requested="400000.00")
    assert (outcome, amount) == ("approve", Decimal("300000.00"))
    # the registry checks the term of a utility model the valuation gave no expiry for
    assert reasons == (
        f"collateral.kind_excluded:{design.number}:design",
        f"collateral.term_unknown:{UTILITY}",
    )


def test_the_bank_s_inclusive_limit_and_size_classes_count_inclusive_loans(
    policy: DecisionPolicy,
) -> None:
    assert policy.is_inclusive(Decimal("4999999.99"), "small")
    assert not policy.is_inclusive(Decimal("5000000.00"), "small")
    assert not policy.is_inclusive(Decimal("100000.00"), "medium")
    # the national definition, for reports that do not follow one bank's policy
    assert is_inclusive(Decimal("9999999.99"), "medium")
    assert not is_inclusive(Decimal("10000000.00"), "medium")
    assert not is_inclusive(Decimal("100.00"), "large")


def test_the_version_in_force_follows_the_beijing_date(bank: Bank) -> None:
    # 1 February 2026 begins at 16:00 UTC on 31 January
    assert bank.policy_at(datetime(2026, 1, 31, 15, 59, tzinfo=UTC)).version == "hz-2025.1"
    assert bank.policy_at(datetime(2026, 1, 31, 16, 0, tzinfo=UTC)).version == "hz-2026.3"
    with pytest.raises(LookupError, match="hz-9"):
        bank.policy_version("hz-9")
    with pytest.raises(LookupError, match="2024-12-31"):
        bank.policy_at(datetime(2024, 12, 31, 12, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("unknown_expiry: registry_check", "unknown_expiry: ask"), "hz-2026.3: unknown_expiry"),
        (("      - version: hz-2025.1", "      - version: hz-2026.3"), "unique"),
        (('insurer: "0.70"', 'insurer: "0.60"'), "sum to 1"),
        (('{fund: "0.5", bank: "0.5"}', '{fund: "1.5", bank: "-0.5"}'), "positive"),
    ],
)
def test_a_policy_file_with_a_mistake_stops_credit_at_start(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = WUHAN_TERMS.replace(*change)
    assert text != WUHAN_TERMS
    path = tmp_path / "banks.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_config(path)


def test_a_bank_without_a_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="no decision policy"):
        Bank("bank-x", "X Bank", "91420100MA4KX3HT2G", "Road 1", ())


def test_a_programme_is_read_with_its_shares_premium_and_limits(tmp_path: Path) -> None:
    path = tmp_path / "banks.yaml"
    path.write_text(WUHAN_TERMS, encoding="utf-8")
    programmes = load_config(path).programmes
    assert programmes["hubei-70-30"] == Programme(
        name="hubei-70-30",
        shares=(("insurer", Decimal("0.70")), ("bank", Decimal("0.30"))),
        premium_rate=Decimal("0.015"),
        max_amount=Decimal("2000000.00"),
        max_term_months=24,
    )
    assert programmes["plain-fund"] == Programme(
        name="plain-fund", shares=(("fund", Decimal("0.5")), ("bank", Decimal("0.5")))
    )
    # 1.5% a year on 1 million for 18 months
    assert programmes["hubei-70-30"].premium(Decimal("1000000.00"), 18) == Decimal("22500.00")
    assert programmes["plain-fund"].premium(Decimal("1000000.00"), 18) == Decimal("0.00")
    with pytest.raises(ValueError, match="listed twice"):
        Programme("twice", (("bank", Decimal("0.5")), ("bank", Decimal("0.5"))))
