"""Unit tests of the pure valuation domain."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

import pytest

from services.valuation.adapters.parameters import load_parameters
from services.valuation.domain import (
    BankInputs,
    Comparable,
    Driver,
    ParameterSet,
    RightFacts,
    RightValuation,
    discount_rate,
    income_royalty_share,
    market_value,
    remaining_whole_years,
    royalty_rate,
    score_patent,
    value_bundle,
    value_right,
)
from services.valuation.domain.model import format_rate, to_fen

AS_OF = date(2026, 6, 1)

SCORING: dict[str, Any] = {
    "weights": {
        "remaining_term": 15, "claims": 10, "family_size": 10, "foreign_filings": 5,
        "licences": 10, "litigation": 5, "invalidation": 10, "citations": 10, "maturity": 15,
        "revenue": 10,
    },
    "saturation": {
        "claims": 10, "family_size": 5, "foreign_filings": 3, "licences": 3, "citations": 20,
        "revenue": 50000000,
    },
    "maturity_factors": {"lab": "0.2", "pilot": "0.6", "mass_production": "1.0"},
    "trademark_reference_score": 50,
}  # fmt: skip

# K is pinned to 5% (min = max) and r = 4% + 4 x 1.5% = 10% whatever the score.
FIXED: dict[str, Any] = {
    "version": "test.1",
    "risk_free_rate": "0.04",
    "royalty_ranges": {
        "default": {"min": "0.05", "max": "0.05"},
        "wide": {"min": "0.02", "max": "0.10"},
    },
    "risk_premia": {
        name: {"min": "0.015", "max": "0.015"}
        for name in ("technical", "market", "funding", "management")
    },
    "tax_rate": "0.25",
    "high_tech_tax_rate": "0.15",
    "economic_life_years": {"invention": 3, "utility_model": 3, "design": 3, "trademark": 3},
    "range_spread": {"min": "0.10", "max": "0.30"},
    "ltv_caps": {"invention": "0.30", "utility_model": "0.15", "design": "0", "trademark": "0.5"},
    "market": {"min_similarity": "0.3", "market_weight": "0.5"},
    "cost": {"apply_floor": True, "haircut": "0"},
    "scoring": SCORING,
}


def fixed_params(**overrides: Any) -> ParameterSet:
    data = copy.deepcopy(FIXED)
    data.update(overrides)
    return ParameterSet.from_mapping(data)


def patent(number: str = "ZL202010000001.1", kind: str = "invention", **changes: Any) -> RightFacts:
    facts = RightFacts(
        right_type="patent",
        number=number,
        patent_kind=kind,
        filing_date=date(2020, 1, 1),
        grant_date=date(2022, 1, 1),
        expiry_date=date(2040, 1, 1),
        legal_status="valid",
        claims=8,
        family_size=2,
        foreign_filings=1,
        citations=5,
        licences=1,
        maturity="pilot",
        main_ipc="H01M10/05",
    )
    return replace(facts, **changes)


def trademark(number: str = "TM30000001", **changes: Any) -> RightFacts:
    facts = RightFacts(
        right_type="trademark",
        number=number,
        grant_date=date(2021, 1, 1),
        expiry_date=date(2031, 1, 1),
        legal_status="valid",
        nice_class=9,
    )
    return replace(facts, **changes)


def inputs(revenue: str = "1000000", **changes: Any) -> BankInputs:
    return replace(BankInputs(annual_revenue=Decimal(revenue), industry="default"), **changes)


def exact_fen(value: Fraction) -> Decimal:
    quotient = Decimal(value.numerator) / Decimal(value.denominator)
    return quotient.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def driver(valuation: RightValuation, name: str) -> Driver:
    return next(d for d in valuation.drivers if d.name == name)


def test_hand_computed_patent_income_after_tax() -> None:
    # R = 1,000,000, K = 5%, r = 10%, n = 3, T = 25%:
    # V = 0.75 * 50,000 * (1/1.1 + 1/1.21 + 1/1.331)
    #   = 37,500 * (1210 + 1100 + 1000) / 1331 = 124,125,000 / 1331 = 93,256.9496... -> 93,256.95
    hand = Fraction(3, 4) * 50_000 * (Fraction(10, 11) + Fraction(100, 121) + Fraction(1000, 1331))
    assert hand == Fraction(124_125_000, 1331)
    result = value_right(patent(), inputs(), fixed_params(), AS_OF)
    assert result.central == Decimal("93256.95") == exact_fen(hand)
    assert result.method == "income_royalty_share"
    assert driver(result, "royalty_rate").value == "5.00%"
    assert driver(result, "discount_rate").value == "10.00%"
    assert driver(result, "horizon").value == "3 years"
    assert driver(result, "tax_rate").value == "25.00%"


def test_income_royalty_share_is_pre_tax() -> None:
    # 50,000 * 3310 / 1331 = 124,342.5996... before the (1 - T) factor.
    value = income_royalty_share(
        Decimal("1000000"), royalty_rate=Decimal("0.05"), discount_rate=Decimal("0.10"), years=3
    )
    assert value.quantize(Decimal("0.01")) == Decimal("124342.60")
    assert exact_fen(Fraction(50_000 * 3310, 1331)) == Decimal("124342.60")


def test_trademark_uses_relief_from_royalty_with_same_arithmetic() -> None:
    result = value_right(trademark(), inputs(), fixed_params(), AS_OF)
    assert result.central == Decimal("93256.95")
    assert result.method == "relief_from_royalty"
    assert result.quality_score is None
    assert driver(result, "reference_score").value == "50.00"


def test_growth_compounds_revenue() -> None:
    # g = r = 10%: every year K * R0 * 1.1^t / 1.1^t = 50,000; 3 * 0.75 * 50,000 = 112,500.00
    result = value_right(patent(), inputs(revenue_growth=Decimal("0.10")), fixed_params(), AS_OF)
    assert result.central == Decimal("112500.00")


def test_high_tech_tax_rate() -> None:
    # T = 15%: 0.85 * 50,000 * 3310 / 1331 = 140,675,000 / 1331 = 105,691.2096... -> 105,691.21
    result = value_right(patent(), inputs(high_tech=True), fixed_params(), AS_OF)
    assert result.central == Decimal("105691.21") == exact_fen(Fraction(140_675_000, 1331))
    assert driver(result, "tax_rate").value == "15.00%"


@pytest.mark.parametrize(
    ("expiry", "years", "expected"),
    [
        # 2029-05-31 is 2 whole years after 2026-06-01: 37,500 * (10/11 + 100/121) = 65,082.64
        (date(2029, 5, 31), 2, Fraction(37_500 * 210, 121)),
        (date(2029, 6, 1), 3, Fraction(124_125_000, 1331)),
        # 0.99 years left: n = 0, nothing to discount
        (date(2027, 5, 31), 0, Fraction(0)),
    ],
)
def test_horizon_limited_by_remaining_legal_term(
    expiry: date, years: int, expected: Fraction
) -> None:
    params = fixed_params(
        economic_life_years={"invention": 10, "utility_model": 6, "design": 5, "trademark": 10}
    )
    result = value_right(patent(expiry_date=expiry), inputs(), params, AS_OF)
    assert driver(result, "horizon").value == f"{years} years"
    assert result.central == exact_fen(expected)


def test_remaining_whole_years_floors() -> None:
    assert remaining_whole_years(date(2026, 6, 1), date(2036, 6, 1)) == 10
    assert remaining_whole_years(date(2026, 6, 1), date(2036, 5, 31)) == 9
    assert remaining_whole_years(date(2024, 2, 29), date(2025, 2, 28)) == 0
    assert remaining_whole_years(date(2026, 6, 1), date(2020, 1, 1)) == 0


def test_market_blend_is_mean_of_income_and_market() -> None:
    # the 0.1-similarity comparable is below min_similarity 0.3 and ignored:
    # market = (100,000 * 0.6 + 200,000 * 0.4) / (0.6 + 0.4) = 140,000
    # central = (124,125,000 / 1331 + 140,000) / 2 = 116,628.4748... -> 116,628.47
    comparables = (
        Comparable(Decimal("100000"), Decimal("0.6")),
        Comparable(Decimal("200000"), Decimal("0.4")),
        Comparable(Decimal("900000"), Decimal("0.1")),
    )
    result = value_right(patent(), inputs(comparables=comparables), fixed_params(), AS_OF)
    expected = (Fraction(124_125_000, 1331) + 140_000) / 2
    assert result.central == Decimal("116628.47") == exact_fen(expected)
    assert result.method == "market"
    assert driver(result, "market_value").value == "140,000.00"
    assert "income" in driver(result, "market_blend").effect


def test_comparables_with_unequal_similarities_give_their_similarity_weighted_mean() -> None:
    # (1,000,000 x 0.9 + 2,000,000 x 0.8) / (0.9 + 0.8) = 2,500,000 / 1.7 = 1,470,588.2352...
    comparables = (
        Comparable(Decimal("1000000"), Decimal("0.9")),
        Comparable(Decimal("2000000"), Decimal("0.8")),
    )
    market = market_value(comparables, Decimal("0.3"))
    assert market is not None
    assert market.quantize(Decimal("0.01")) == Decimal("1470588.24")
    result = value_right(patent(), inputs(comparables=comparables), fixed_params(), AS_OF)
    assert driver(result, "market_value").value == "1,470,588.24"
    # central = (124,125,000 / 1331 + 2,500,000 / 1.7) / 2
    expected = (Fraction(124_125_000, 1331) + Fraction(2_500_000 * 10, 17)) / 2
    assert result.central == exact_fen(expected)


def test_a_comparable_at_the_minimum_similarity_counts_one_of_no_similarity_never_does() -> None:
    at_minimum = (
        Comparable(Decimal("100"), Decimal("0.3")),
        Comparable(Decimal("400"), Decimal("0.6")),
    )
    # (100 x 0.3 + 400 x 0.6) / 0.9 = 300
    assert market_value(at_minimum, Decimal("0.3")) == Decimal("300")
    assert market_value(at_minimum, Decimal("0.31")) == Decimal("400")
    unrelated = (Comparable(Decimal("500"), Decimal("0")),)
    assert market_value(unrelated, Decimal("0")) is None
    # a comparable sold for nothing, and one identical to the right, are both admissible
    assert market_value(
        (Comparable(Decimal("0"), Decimal("1")), Comparable(Decimal("300"), Decimal("0.5"))),
        Decimal("0.3"),
    ) == Decimal("100")


def test_market_without_usable_comparables_keeps_income() -> None:
    comparables = (Comparable(Decimal("900000"), Decimal("0.1")),)
    result = value_right(patent(), inputs(comparables=comparables), fixed_params(), AS_OF)
    assert result.central == Decimal("93256.95")
    assert result.method == "income_royalty_share"
    assert driver(result, "market_value").value == "n/a"
    assert market_value((), Decimal("0.3")) is None


def test_cost_floor_applies_when_above_income() -> None:
    result = value_right(
        patent(), inputs(replacement_cost=Decimal("150000")), fixed_params(), AS_OF
    )
    assert result.central == Decimal("150000.00")
    assert result.method == "cost"
    assert driver(result, "cost_floor").effect.startswith("cost floor applied")


def test_cost_floor_not_binding_below_income() -> None:
    result = value_right(patent(), inputs(replacement_cost=Decimal("50000")), fixed_params(), AS_OF)
    assert result.central == Decimal("93256.95")
    assert result.method == "income_royalty_share"
    assert driver(result, "cost_floor").effect.startswith("cost floor not binding")


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (patent(legal_status="lapsed"), "right.lapsed"),
        (patent(legal_status="invalid"), "right.invalid"),
        (patent(legal_status="expired"), "right.expired"),
        (patent(legal_status="revoked"), "right.revoked"),
        (patent(legal_status="pending", grant_date=None), "right.not_granted"),
        (trademark(legal_status="pending"), "right.not_granted"),
        (patent(frozen=True), "right.frozen"),
        (trademark(frozen=True), "right.frozen"),
        (patent(grant_date=None), "right.not_granted"),
        (patent(grant_date=date(2026, 7, 1)), "right.not_granted"),
        (patent(expiry_date=date(2026, 5, 31)), "right.expired"),
        (trademark(expiry_date=date(2025, 12, 31)), "right.expired"),
    ],
)
def test_unusable_rights_are_worth_zero_with_reason(facts: RightFacts, reason: str) -> None:
    params = fixed_params()
    result = value_right(
        facts, inputs(comparables=(), replacement_cost=Decimal("1")), params, AS_OF
    )
    assert (result.low, result.central, result.high) == (Decimal("0.00"),) * 3
    assert result.method == "zero"
    assert result.zero_reason == reason
    assert result.recommended_ltv == Decimal("0")
    assert result.drivers[0].name == "zero_value"
    assert result.drivers[0].value == reason


def test_range_brackets_central_and_widens_for_lower_quality() -> None:
    params = fixed_params()
    strong = value_right(patent(), inputs(), params, AS_OF)
    weak = value_right(
        patent(claims=1, family_size=1, citations=0, licences=0, maturity="lab", litigation=True),
        inputs(),
        params,
        AS_OF,
    )
    assert strong.low < strong.central < strong.high
    assert weak.low < weak.central < weak.high
    assert weak.quality_score is not None and strong.quality_score is not None
    assert weak.quality_score < strong.quality_score
    assert (weak.high - weak.low) > (strong.high - strong.low)
    # s = 0.30 - (0.30 - 0.10) * score / 100; low = V * (1 - s), high = V * (1 + s)
    spread = Fraction(3, 10) - Fraction(2, 10) * Fraction(str(strong.quality_score)) / 100
    assert strong.low == exact_fen(Fraction(124_125_000, 1331) * (1 - spread))
    assert strong.high == exact_fen(Fraction(124_125_000, 1331) * (1 + spread))


def test_drivers_cover_everything_that_moved_the_number() -> None:
    result = value_right(patent(), inputs(), fixed_params(), AS_OF)
    names = {d.name for d in result.drivers}
    indicators = {
        "remaining_term", "claims", "family_size", "foreign_filings", "licences",
        "litigation", "invalidation", "citations", "maturity", "revenue",
    }  # fmt: skip
    assert {f"score.{name}" for name in indicators} <= names
    assert {
        "quality_score", "revenue", "revenue_growth", "royalty_rate", "risk_free_rate",
        "premium.technical", "premium.market", "premium.funding", "premium.management",
        "discount_rate", "horizon", "tax_rate", "income_value", "range_spread", "ltv_cap",
    } <= names  # fmt: skip
    assert driver(result, "discount_rate").effect.startswith("r = 4.00% + 1.50% + 1.50%")


def test_score_contributions_and_bounds() -> None:
    params = fixed_params()
    # claims 8/10 of 10 points = 8.00; citations 5/20 of 10 points = 2.50; pilot 0.6 * 15 = 9.00
    scored = score_patent(patent(), inputs(), params, AS_OF)
    effects = {d.name: d.effect for d in scored.drivers}
    assert effects["score.claims"] == "+8.00 of 10.00 points"
    assert effects["score.citations"] == "+2.50 of 10.00 points"
    assert effects["score.maturity"] == "+9.00 of 15.00 points"
    best = patent(
        filing_date=AS_OF, expiry_date=date(2046, 6, 1), claims=30, family_size=9,
        foreign_filings=5, citations=50, licences=4, maturity="mass_production",
    )  # fmt: skip
    assert score_patent(best, inputs("90000000"), params, AS_OF).score == Decimal("100.00")
    worst = patent(
        filing_date=None, grant_date=None, claims=None, family_size=None, foreign_filings=None,
        citations=None, licences=None, maturity=None, litigation=True, invalidation_pending=True,
    )  # fmt: skip
    assert score_patent(worst, inputs("0"), params, AS_OF).score == Decimal("0.00")


def test_score_selects_royalty_rate_and_premia_linearly() -> None:
    params = fixed_params(
        risk_premia={
            "technical": {"min": "0.02", "max": "0.06"},
            "market": {"min": "0.02", "max": "0.04"},
            "funding": {"min": "0.01", "max": "0.03"},
            "management": {"min": "0.01", "max": "0.02"},
        }
    )
    # K = 2% + (10% - 2%) * 25 / 100 = 4%
    k, k_driver = royalty_rate(params, "wide", Decimal("25"))
    assert k == Decimal("0.04")
    assert "wide" in k_driver.effect
    unknown, unknown_driver = royalty_rate(params, "shipbuilding", Decimal("25"))
    assert unknown == Decimal("0.05")
    assert "default" in unknown_driver.effect
    # premia at score 25: 6% - 4% * 0.25 = 5%, 4% - 2% * 0.25 = 3.5%,
    # 3% - 2% * 0.25 = 2.5%, 2% - 1% * 0.25 = 1.75%; r = 4% + 12.75% = 16.75%
    r, _ = discount_rate(params, Decimal("25"))
    assert r == sum(Decimal(p) for p in ("0.04", "0.05", "0.035", "0.025", "0.0175"))
    r_best, _ = discount_rate(params, Decimal("100"))
    assert r_best == sum(Decimal(p) for p in ("0.04", "0.02", "0.02", "0.01", "0.01"))


def test_reproducible_for_same_inputs_and_version() -> None:
    facts = patent()
    bank = inputs(revenue_growth=Decimal("0.03"), industry="electronics", high_tech=True)
    first = value_right(facts, bank, load_parameters("2026.1"), AS_OF)
    second = value_right(facts, bank, load_parameters("2026.1"), AS_OF)
    assert first == second
    with localcontext() as ctx:
        ctx.prec = 6
        ctx.rounding = ROUND_DOWN
        assert value_right(facts, bank, load_parameters("2026.1"), AS_OF) == first


def test_money_is_decimal_quantized_to_the_fen() -> None:
    result = value_right(patent(), inputs(), load_parameters("2026.1"), AS_OF)
    for amount in (result.low, result.central, result.high):
        assert isinstance(amount, Decimal)
        assert amount.as_tuple().exponent == -2


def test_loaded_parameter_set_2026_1() -> None:
    params = load_parameters("2026.1")
    assert params.version == "2026.1"
    assert params.tax_rate == Decimal("0.25")
    assert params.high_tech_tax_rate == Decimal("0.15")
    caps = {kind: str(cap) for kind, cap in params.ltv_caps.items()}
    assert caps == {
        "invention": "0.3",
        "utility_model": "0.15",
        "design": "0.0",
        "trademark": "0.5",
    }
    default = params.royalty_ranges["default"]
    assert (default.lower, default.upper) == (Decimal("0.02"), Decimal("0.08"))
    assert default.rising(Decimal("50")) == Decimal("0.05")
    best, _ = discount_rate(params, Decimal("100"))
    worst, _ = discount_rate(params, Decimal("0"))
    assert Decimal("0.10") <= best < worst <= Decimal("0.20")


@pytest.mark.parametrize("version", ["../2026.1", "missing.9", ""])
def test_load_parameters_rejects_unknown_versions(version: str) -> None:
    with pytest.raises((ValueError, FileNotFoundError)):
        load_parameters(version)


@pytest.mark.parametrize(
    "override",
    [
        {"royalty_ranges": {"wide": {"min": "0.02", "max": "0.10"}}},
        {"range_spread": {"min": "0.3", "max": "0.1"}},
        {"scoring": {**SCORING, "weights": {**SCORING["weights"], "claims": 11}}},
        {"ltv_caps": {"invention": "0.30"}},
        {"tax_rate": "1.5"},
    ],
)
def test_from_mapping_validates(override: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        fixed_params(**override)


def test_bundle_totals_concentration_and_max_loan() -> None:
    # Centrals (K = 5%, r = 10%, n = 3, T = 25%; V = 0.0375 * R * 3310 / 1331):
    #   invention R = 1,000,000 -> 93,256.95; utility model R = 200,000 -> 18,651.39;
    #   design R = 100,000 -> 9,325.69; lapsed trademark (no bank inputs) -> 0.00
    # total = 121,234.03; largest share = 93,256.95 / 121,234.03 = 0.76923... -> 0.7692
    # max loan = 93,256.95 * 0.30 + 18,651.39 * 0.15 + 9,325.69 * 0 = 27,977.085 + 2,797.7085
    #          = 30,774.7935 -> 30,774.79
    rights = [
        patent("ZL1"),
        patent("ZL2", kind="utility_model"),
        patent("ZL3", kind="design"),
        trademark("TM1", legal_status="lapsed"),
    ]
    by_number = {"ZL1": inputs("1000000"), "ZL2": inputs("200000"), "ZL3": inputs("100000")}
    bundle = value_bundle(rights, by_number, fixed_params(), AS_OF)
    centrals = [r.central for r in bundle.rights]
    assert centrals == [Decimal(v) for v in ("93256.95", "18651.39", "9325.69", "0.00")]
    assert bundle.central == Decimal("121234.03")
    assert bundle.low == sum(r.low for r in bundle.rights)
    assert bundle.high == sum(r.high for r in bundle.rights)
    assert bundle.largest_share == Decimal("0.7692")
    assert bundle.concentration_note is not None and "ZL1" in bundle.concentration_note
    assert bundle.recommended_max_loan == Decimal("30774.79")
    assert bundle.parameter_version == "test.1"
    assert bundle.rights[3].zero_reason == "right.lapsed"


def test_bundle_without_dominant_right_has_no_note() -> None:
    rights = [patent("ZL1"), trademark("TM1")]
    by_number = {"ZL1": inputs(), "TM1": inputs()}
    bundle = value_bundle(rights, by_number, fixed_params(), AS_OF)
    assert bundle.largest_share == Decimal("0.5000")
    assert bundle.concentration_note is None
    # 93,256.95 * 0.30 + 93,256.95 * 0.50 = 74,605.56
    assert bundle.recommended_max_loan == Decimal("74605.56")


def test_bundle_rejects_duplicates_and_missing_inputs() -> None:
    with pytest.raises(ValueError):
        value_bundle([patent("ZL1"), patent("ZL1")], {"ZL1": inputs()}, fixed_params(), AS_OF)
    with pytest.raises(ValueError):
        value_bundle([patent("ZL1")], {}, fixed_params(), AS_OF)
    empty = value_bundle([], {}, fixed_params(), AS_OF)
    assert (empty.central, empty.recommended_max_loan, empty.largest_share) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0"),
    )


def test_invalid_value_objects_are_rejected() -> None:
    with pytest.raises(ValueError):
        Comparable(Decimal("1"), Decimal("1.5"))
    with pytest.raises(ValueError):
        patent(kind="software")
    with pytest.raises(ValueError):
        trademark(legal_status="dormant")


PRICE, SIMILARITY = "comparable price", "comparable similarity"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: Comparable(Decimal("-0.01"), Decimal("0.5")),
            "comparable price must not be negative",
        ),
        (
            lambda: Comparable(Decimal("1"), Decimal("-0.01")),
            "comparable similarity must lie in [0, 1]",
        ),
        (
            lambda: Comparable(Decimal("1"), Decimal("1.01")),
            "comparable similarity must lie in [0, 1]",
        ),
        (lambda: inputs("-0.01"), "annual_revenue must not be negative"),
        (lambda: inputs(revenue_growth=Decimal("-1")), "revenue_growth must be greater than -1"),
        (lambda: inputs(replacement_cost=Decimal("-1")), "replacement_cost must not be negative"),
        (lambda: patent(right_type="copyright"), "unknown right_type 'copyright'"),
        (lambda: patent(kind="software"), "unknown patent_kind 'software'"),
        (lambda: trademark(patent_kind="invention"), "a trademark has no patent_kind"),
        (lambda: trademark(legal_status="dormant"), "unknown legal_status 'dormant'"),
        (lambda: patent(maturity="idea"), "unknown maturity 'idea'"),
    ],
)
def test_figures_that_cannot_be_valued_are_refused_with_the_reason(make: Any, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        make()
    assert str(refused.value) == message


def test_the_bounds_of_each_figure_are_admitted() -> None:
    assert Comparable(Decimal("0"), Decimal("0")).price == 0
    assert Comparable(Decimal("1"), Decimal("1")).similarity == 1
    assert inputs("0", revenue_growth=Decimal("-0.99"), replacement_cost=Decimal("0"))
    assert trademark().patent_kind is None


def test_rates_and_amounts_are_shown_rounded_half_up() -> None:
    # 0.00123455 is 0.123455%: four decimals, the fifth a 5
    assert format_rate(Decimal("0.00123455")) == "0.1235%"
    assert format_rate(Decimal("0.05")) == "5.00%"
    assert format_rate(Decimal("0.123456")) == "12.3456%"
    assert to_fen(Decimal("0.125")) == Decimal("0.13")
    assert to_fen(Decimal("-0.125")) == Decimal("-0.13")


def test_a_fact_the_registry_did_not_report_is_shown_unknown_and_earns_no_points() -> None:
    quality = score_patent(patent(claims=None, citations=None), inputs(), fixed_params(), AS_OF)
    shown = {d.name: (d.value, d.effect) for d in quality.drivers}
    assert shown["score.claims"] == ("unknown", "+0.00 of 10.00 points")
    assert shown["score.citations"] == ("unknown", "+0.00 of 10.00 points")
    # reported counts are shown as reported: 2 of the 5 family members that saturate
    assert shown["score.family_size"] == ("2", "+4.00 of 10.00 points")
    assert shown["score.litigation"] == ("no litigation", "+5.00 of 5.00 points")
    assert shown["score.invalidation"] == ("no invalidation request", "+10.00 of 10.00 points")


def test_a_trademark_and_an_untabulated_industry_are_explained_to_the_bank() -> None:
    valued = value_right(trademark(), inputs(industry="semiconductors"), fixed_params(), AS_OF)
    explained = {d.name: (d.value, d.effect) for d in valued.drivers}
    assert explained["reference_score"] == (
        "50.00",
        "trademarks are not quality-scored; reference score selects K, premia and spread",
    )
    assert explained["royalty_rate"] == (
        "5.00%",
        "K within default (industry 'semiconductors' not tabulated) range 5.00%-5.00% "
        "at score 50.00",
    )
    assert explained["risk_free_rate"] == ("4.00%", "base of r")
    assert explained["premium.market"] == ("1.50%", "range 1.50%-1.50%, lower for higher score")
    tabulated = value_right(trademark(), inputs(industry="wide"), fixed_params(), AS_OF)
    assert next(d for d in tabulated.drivers if d.name == "royalty_rate").effect.startswith(
        "K within wide range 2.00%-10.00%"
    )
