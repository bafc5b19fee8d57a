"""Patent quality score and the royalty rate and discount rate it selects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from services.valuation.domain.model import (
    DECIMAL_CONTEXT,
    ONE,
    ZERO,
    BankInputs,
    Driver,
    RightFacts,
    format_amount,
    format_rate,
)
from services.valuation.domain.parameters import HUNDRED, PREMIUM_NAMES, ParameterSet

SCORE_QUANTUM = Decimal("0.01")

Indicator = Callable[[RightFacts, BankInputs, ParameterSet, date], tuple[Decimal, str]]


@dataclass(frozen=True)
class QualityScore:
    """A 0..100 quality score with one driver per indicator."""

    score: Decimal
    drivers: tuple[Driver, ...]


def remaining_term_share(facts: RightFacts, as_of: date) -> Decimal:
    """Return the remaining share (0..1) of the legal term from filing (or grant) to expiry."""
    start = facts.filing_date or facts.grant_date
    if start is None or facts.expiry_date <= start:
        return ZERO
    total = (facts.expiry_date - start).days
    remaining = (facts.expiry_date - as_of).days
    with localcontext(DECIMAL_CONTEXT):
        return min(ONE, max(ZERO, Decimal(remaining) / Decimal(total)))


def score_patent(
    facts: RightFacts, inputs: BankInputs, params: ParameterSet, as_of: date
) -> QualityScore:
    """Score a patent 0..100 from legal, technical and economic indicators."""
    weights = params.scoring.weights
    drivers: list[Driver] = []
    total = ZERO
    with localcontext(DECIMAL_CONTEXT):
        for name, indicator in _INDICATORS.items():
            fraction, shown = indicator(facts, inputs, params, as_of)
            points = weights[name] * fraction
            total += points
            effect = f"+{_points(points)} of {_points(weights[name])} points"
            drivers.append(Driver(f"score.{name}", shown, effect))
        score = min(HUNDRED, total).quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)
    summary = Driver(
        "quality_score", _points(score), "selects K, risk premia and range spread in their ranges"
    )
    return QualityScore(score=score, drivers=(summary, *drivers))


def reference_score(params: ParameterSet) -> QualityScore:
    """Return the neutral reference score applied to trademarks."""
    score = params.scoring.trademark_reference_score
    driver = Driver(
        "reference_score",
        _points(score),
        "trademarks are not quality-scored; reference score selects K, premia and spread",
    )
    return QualityScore(score=score, drivers=(driver,))


def royalty_rate(params: ParameterSet, industry: str, score: Decimal) -> tuple[Decimal, Driver]:
    """Select K = min + (max - min) * score / 100 within the industry royalty range."""
    used, bounds = params.royalty_range(industry)
    with localcontext(DECIMAL_CONTEXT):
        rate = bounds.rising(score)
    source = used if used == industry else f"default (industry {industry!r} not tabulated)"
    effect = (
        f"K within {source} range {format_rate(bounds.lower)}-{format_rate(bounds.upper)}"
        f" at score {_points(score)}"
    )
    return rate, Driver("royalty_rate", format_rate(rate), effect)


def discount_rate(params: ParameterSet, score: Decimal) -> tuple[Decimal, tuple[Driver, ...]]:
    """Build r = risk-free rate + premia, each premium falling as the score rises."""
    drivers = [Driver("risk_free_rate", format_rate(params.risk_free_rate), "base of r")]
    parts = [params.risk_free_rate]
    with localcontext(DECIMAL_CONTEXT):
        for name in PREMIUM_NAMES:
            bounds = params.risk_premia[name]
            premium = bounds.falling(score)
            parts.append(premium)
            effect = (
                f"range {format_rate(bounds.lower)}-{format_rate(bounds.upper)},"
                " lower for higher score"
            )
            drivers.append(Driver(f"premium.{name}", format_rate(premium), effect))
        rate = sum(parts, ZERO)
    build_up = " + ".join(format_rate(part) for part in parts)
    drivers.append(
        Driver("discount_rate", format_rate(rate), f"r = {build_up}; higher r lowers value")
    )
    return rate, tuple(drivers)


def _points(value: Decimal) -> str:
    return format(value.quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP), "f")


def _saturated(value: Decimal | int | None, name: str, params: ParameterSet) -> Decimal:
    if value is None:
        return ZERO
    return min(ONE, max(ZERO, Decimal(value) / params.scoring.saturation[name]))


def _shown(value: object) -> str:
    return "unknown" if value is None else str(value)


def _remaining_term(
    facts: RightFacts, inputs: BankInputs, params: ParameterSet, as_of: date
) -> tuple[Decimal, str]:
    share = remaining_term_share(facts, as_of)
    return share, f"{format_rate(share)} of legal term remaining"


def _counter(attribute: str) -> Indicator:
    def indicator(
        facts: RightFacts, inputs: BankInputs, params: ParameterSet, as_of: date
    ) -> tuple[Decimal, str]:
        value = getattr(facts, attribute)
        return _saturated(value, attribute, params), _shown(value)

    return indicator


def _litigation(
    facts: RightFacts, inputs: BankInputs, params: ParameterSet, as_of: date
) -> tuple[Decimal, str]:
    return (ZERO, "in litigation") if facts.litigation else (ONE, "no litigation")


def _invalidation(
    facts: RightFacts, inputs: BankInputs, params: ParameterSet, as_of: date
) -> tuple[Decimal, str]:
    if facts.invalidation_pending:
        return ZERO, "invalidation request pending"
    return ONE, "no invalidation request"


def _maturity(
    facts: RightFacts, inputs: BankInputs, params: ParameterSet, as_of: date
) -> tuple[Decimal, str]:
    if facts.maturity is None:
        return ZERO, "unknown"
    return params.scoring.maturity_factors[facts.maturity], facts.maturity


def _revenue(
    facts: RightFacts, inputs: BankInputs, params: ParameterSet, as_of: date
) -> tuple[Decimal, str]:
    fraction = _saturated(inputs.annual_revenue, "revenue", params)
    return fraction, format_amount(inputs.annual_revenue)


_INDICATORS: dict[str, Indicator] = {
    "remaining_term": _remaining_term,
    "claims": _counter("claims"),
    "family_size": _counter("family_size"),
    "foreign_filings": _counter("foreign_filings"),
    "licences": _counter("licences"),
    "litigation": _litigation,
    "invalidation": _invalidation,
    "citations": _counter("citations"),
    "maturity": _maturity,
    "revenue": _revenue,
}
