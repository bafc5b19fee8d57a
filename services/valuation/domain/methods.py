"""Valuation approaches (income, market, cost) and the valuation of rights and bundles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from services.valuation.domain.model import (
    DECIMAL_CONTEXT,
    ONE,
    ZERO,
    BankInputs,
    BundleValuation,
    Comparable,
    Driver,
    RightFacts,
    RightValuation,
    format_amount,
    format_rate,
    to_fen,
)
from services.valuation.domain.parameters import ParameterSet
from services.valuation.domain.scoring import (
    discount_rate,
    reference_score,
    royalty_rate,
    score_patent,
)

CONCENTRATION_THRESHOLD = Decimal("0.5")
SHARE_QUANTUM = Decimal("0.0001")

_STATUS_REASONS = {
    "lapsed": "right.lapsed",
    "invalid": "right.invalid",
    "expired": "right.expired",
    "revoked": "right.revoked",
    "pending": "right.not_granted",
}
_REASON_TEXT = {
    "right.lapsed": "right has lapsed",
    "right.invalid": "right has been declared invalid",
    "right.expired": "legal term or validity has ended",
    "right.revoked": "right has been revoked",
    "right.not_granted": "right is not (yet) granted or registered",
    "right.frozen": "right is frozen and cannot be pledged",
}


@dataclass(frozen=True)
class _Approach:
    central: Decimal
    method: str
    drivers: tuple[Driver, ...]


def income_royalty_share(
    revenue: Decimal,
    *,
    royalty_rate: Decimal,
    discount_rate: Decimal,
    years: int,
    growth: Decimal = ZERO,
) -> Decimal:
    """Return the pre-tax value V = sum over t=1..n of K * R0 * (1+g)^t / (1+r)^t."""
    with localcontext(DECIMAL_CONTEXT):
        value = ZERO
        for t in range(1, max(0, years) + 1):
            value += royalty_rate * revenue * (ONE + growth) ** t / (ONE + discount_rate) ** t
        return value


def relief_from_royalty(
    revenue: Decimal,
    *,
    royalty_rate: Decimal,
    discount_rate: Decimal,
    years: int,
    tax_rate: Decimal,
    growth: Decimal = ZERO,
) -> Decimal:
    """Return the after-tax royalty value: the income royalty share times (1 - T)."""
    pre_tax = income_royalty_share(
        revenue, royalty_rate=royalty_rate, discount_rate=discount_rate, years=years, growth=growth
    )
    with localcontext(DECIMAL_CONTEXT):
        return pre_tax * (ONE - tax_rate)


def market_value(comparables: Sequence[Comparable], min_similarity: Decimal) -> Decimal | None:
    """Return the similarity-weighted mean price of usable comparables, or None if none."""
    usable = [c for c in comparables if c.similarity > ZERO and c.similarity >= min_similarity]
    if not usable:
        return None
    with localcontext(DECIMAL_CONTEXT):
        weight = sum((c.similarity for c in usable), ZERO)
        return sum((c.price * c.similarity for c in usable), ZERO) / weight


def cost_value(replacement_cost: Decimal, haircut: Decimal) -> Decimal:
    """Return the cost-approach value: replacement cost less the haircut."""
    with localcontext(DECIMAL_CONTEXT):
        return replacement_cost * (ONE - haircut)


def remaining_whole_years(as_of: date, expiry: date) -> int:
    """Return the whole years (floored, at least 0) from as_of until expiry."""
    years = expiry.year - as_of.year
    if (expiry.month, expiry.day) < (as_of.month, as_of.day):
        years -= 1
    return max(0, years)


def zero_reason(facts: RightFacts, as_of: date) -> str | None:
    """Return the reason code that makes a right unusable as collateral, or None."""
    if facts.legal_status in _STATUS_REASONS:
        return _STATUS_REASONS[facts.legal_status]
    if facts.frozen:
        return "right.frozen"
    if facts.right_type == "patent" and facts.grant_date is None:
        return "right.not_granted"
    if facts.grant_date is not None and facts.grant_date > as_of:
        return "right.not_granted"
    if facts.expiry_date < as_of:
        return "right.expired"
    return None


def value_right(
    facts: RightFacts, inputs: BankInputs, params: ParameterSet, as_of: date
) -> RightValuation:
    """Value one right at as_of under the given parameter set."""
    reason = zero_reason(facts, as_of)
    if reason is not None:
        return _zero_valuation(facts, reason)
    with localcontext(DECIMAL_CONTEXT):
        quality = (
            score_patent(facts, inputs, params, as_of) if facts.right_type == "patent" else None
        )
        basis = quality if quality is not None else reference_score(params)
        income, income_drivers = _income(facts, inputs, params, as_of, basis.score)
        approach = _combine(facts, inputs, params, income)
        spread = params.range_spread.falling(basis.score)
        ltv = params.ltv_caps[facts.kind]
        drivers = (
            *basis.drivers,
            *income_drivers,
            *approach.drivers,
            _spread_driver(spread),
            Driver("ltv_cap", format_rate(ltv), f"recommended loan-to-value for {facts.kind}"),
        )
        return RightValuation(
            number=facts.number,
            right_type=facts.right_type,
            low=to_fen(approach.central * (ONE - spread)),
            central=to_fen(approach.central),
            high=to_fen(approach.central * (ONE + spread)),
            method=approach.method,
            drivers=drivers,
            quality_score=quality.score if quality is not None else None,
            zero_reason=None,
            recommended_ltv=ltv,
        )


def value_bundle(
    rights: Sequence[RightFacts],
    inputs_by_number: Mapping[str, BankInputs],
    params: ParameterSet,
    as_of: date,
) -> BundleValuation:
    """Value a bundle of rights and report totals, concentration and the maximum loan."""
    numbers = [facts.number for facts in rights]
    if len(set(numbers)) != len(numbers):
        raise ValueError("a bundle must not contain the same right twice")
    valuations = tuple(_value_member(facts, inputs_by_number, params, as_of) for facts in rights)
    with localcontext(DECIMAL_CONTEXT):
        central = sum((v.central for v in valuations), ZERO)
        largest = max(valuations, key=lambda v: v.central, default=None)
        share = largest.central / central if largest is not None and central > ZERO else ZERO
        max_loan = sum((v.central * v.recommended_ltv for v in valuations), ZERO)
        return BundleValuation(
            rights=valuations,
            low=to_fen(sum((v.low for v in valuations), ZERO)),
            central=to_fen(central),
            high=to_fen(sum((v.high for v in valuations), ZERO)),
            largest_share=share.quantize(SHARE_QUANTUM, rounding=ROUND_HALF_UP),
            concentration_note=_concentration_note(largest, share),
            parameter_version=params.version,
            recommended_max_loan=to_fen(max_loan),
        )


def _value_member(
    facts: RightFacts,
    inputs_by_number: Mapping[str, BankInputs],
    params: ParameterSet,
    as_of: date,
) -> RightValuation:
    inputs = inputs_by_number.get(facts.number)
    if inputs is not None:
        return value_right(facts, inputs, params, as_of)
    reason = zero_reason(facts, as_of)
    if reason is None:
        raise ValueError(f"no bank inputs for right {facts.number}")
    return _zero_valuation(facts, reason)


def _concentration_note(largest: RightValuation | None, share: Decimal) -> str | None:
    if largest is None or share <= CONCENTRATION_THRESHOLD:
        return None
    shown = format_rate(share.quantize(SHARE_QUANTUM, rounding=ROUND_HALF_UP))
    return (
        f"right {largest.number} carries {shown} of the central value"
        f" (more than {format_rate(CONCENTRATION_THRESHOLD)}); collateral is concentrated"
    )


def _zero_valuation(facts: RightFacts, reason: str) -> RightValuation:
    driver = Driver("zero_value", reason, f"{_REASON_TEXT[reason]}; value set to zero")
    return RightValuation(
        number=facts.number,
        right_type=facts.right_type,
        low=to_fen(ZERO),
        central=to_fen(ZERO),
        high=to_fen(ZERO),
        method="zero",
        drivers=(driver,),
        quality_score=None,
        zero_reason=reason,
        recommended_ltv=ZERO,
    )


def _spread_driver(spread: Decimal) -> Driver:
    effect = "low = central * (1 - s), high = central * (1 + s); wider for lower score"
    return Driver("range_spread", format_rate(spread), effect)


def _horizon(facts: RightFacts, params: ParameterSet, as_of: date) -> tuple[int, Driver]:
    life = params.economic_life_years[facts.kind]
    remaining = remaining_whole_years(as_of, facts.expiry_date)
    years = max(0, min(life, remaining))
    effect = f"n = min(economic life {life}, remaining legal term {remaining}) whole years"
    return years, Driver("horizon", f"{years} years", effect)


def _tax(inputs: BankInputs, params: ParameterSet) -> tuple[Decimal, Driver]:
    if inputs.high_tech:
        rate, basis = params.high_tech_tax_rate, "high-tech enterprise income tax rate"
    else:
        rate, basis = params.tax_rate, "standard enterprise income tax rate"
    return rate, Driver("tax_rate", format_rate(rate), f"{basis}; value multiplied by (1 - T)")


def _income(
    facts: RightFacts, inputs: BankInputs, params: ParameterSet, as_of: date, score: Decimal
) -> tuple[Decimal, tuple[Driver, ...]]:
    k, k_driver = royalty_rate(params, inputs.industry, score)
    r, r_drivers = discount_rate(params, score)
    years, n_driver = _horizon(facts, params, as_of)
    tax, tax_driver = _tax(inputs, params)
    value = relief_from_royalty(
        inputs.annual_revenue,
        royalty_rate=k,
        discount_rate=r,
        years=years,
        tax_rate=tax,
        growth=inputs.revenue_growth,
    )
    drivers = (
        Driver("revenue", format_amount(inputs.annual_revenue), "R0: attributable revenue"),
        Driver("revenue_growth", format_rate(inputs.revenue_growth), "R_t = R0 * (1 + g)^t"),
        k_driver,
        *r_drivers,
        n_driver,
        tax_driver,
        Driver("income_value", format_amount(value), "sum K * R_t / (1 + r)^t * (1 - T)"),
    )
    return value, drivers


def _combine(
    facts: RightFacts, inputs: BankInputs, params: ParameterSet, income: Decimal
) -> _Approach:
    method = "income_royalty_share" if facts.right_type == "patent" else "relief_from_royalty"
    approach = _Approach(income, method, ())
    if inputs.comparables:
        approach = _blend_market(approach, inputs.comparables, params)
    if inputs.replacement_cost is not None and params.cost.apply_floor:
        approach = _apply_cost_floor(approach, inputs.replacement_cost, params)
    return approach


def _blend_market(
    approach: _Approach, comparables: Sequence[Comparable], params: ParameterSet
) -> _Approach:
    market = market_value(comparables, params.market.min_similarity)
    if market is None:
        note = f"no comparable with similarity >= {params.market.min_similarity}; not applied"
        skipped = Driver("market_value", "n/a", note)
        return _Approach(approach.central, approach.method, (*approach.drivers, skipped))
    weight = params.market.market_weight
    central = approach.central * (ONE - weight) + market * weight
    drivers = (
        Driver("market_value", format_amount(market), "similarity-weighted mean of comparables"),
        Driver(
            "market_blend",
            format_amount(central),
            f"central = {format_rate(ONE - weight)} income ({format_amount(approach.central)})"
            f" + {format_rate(weight)} market ({format_amount(market)})",
        ),
    )
    return _Approach(central, "market", (*approach.drivers, *drivers))


def _apply_cost_floor(
    approach: _Approach, replacement_cost: Decimal, params: ParameterSet
) -> _Approach:
    cost = cost_value(replacement_cost, params.cost.haircut)
    shown = format_amount(cost)
    if cost > approach.central:
        effect = f"cost floor applied: central raised from {format_amount(approach.central)}"
        return _Approach(cost, "cost", (*approach.drivers, Driver("cost_floor", shown, effect)))
    effect = f"cost floor not binding: below {format_amount(approach.central)}"
    floor = Driver("cost_floor", shown, effect)
    return _Approach(approach.central, approach.method, (*approach.drivers, floor))
