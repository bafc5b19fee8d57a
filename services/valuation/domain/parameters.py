"""Versioned valuation parameters, validated from a plain mapping (the adapters read the files)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from shared.kernel.errors import Conflict

RIGHT_KINDS = ("invention", "utility_model", "design", "trademark")
PREMIUM_NAMES = ("technical", "market", "funding", "management")
SCORE_INDICATORS = (
    "remaining_term",
    "claims",
    "family_size",
    "foreign_filings",
    "licences",
    "litigation",
    "invalidation",
    "citations",
    "maturity",
    "revenue",
)
SATURATED_INDICATORS = (
    "claims",
    "family_size",
    "foreign_filings",
    "licences",
    "citations",
    "revenue",
)
MATURITY_LEVELS = ("lab", "pilot", "mass_production")
HUNDRED = Decimal("100")
_VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")


class ParametersUnavailable(Conflict):
    """The parameter version a valuation recorded cannot be loaded."""

    code = "parameters.unavailable"
    title = "Parameter version unavailable"


def is_version(name: str) -> bool:
    """Whether `name` can name a parameter version (letters, digits, `.`, `_`, `-`)."""
    return bool(_VERSION_PATTERN.match(name))


@dataclass(frozen=True)
class RateRange:
    """A closed interval [lower, upper] of rates, selected by a 0..100 score."""

    lower: Decimal
    upper: Decimal

    def __post_init__(self) -> None:
        if self.lower > self.upper:
            raise ValueError(f"range lower {self.lower} exceeds upper {self.upper}")

    def rising(self, score: Decimal) -> Decimal:
        """Return lower + (upper - lower) * score / 100."""
        return self.lower + (self.upper - self.lower) * score / HUNDRED

    def falling(self, score: Decimal) -> Decimal:
        """Return upper - (upper - lower) * score / 100."""
        return self.upper - (self.upper - self.lower) * score / HUNDRED


@dataclass(frozen=True)
class MarketSettings:
    """Market approach: similarity threshold and weight of the market value in the blend."""

    min_similarity: Decimal
    market_weight: Decimal


@dataclass(frozen=True)
class CostSettings:
    """Cost approach: whether it floors the value, and the haircut on replacement cost."""

    apply_floor: bool
    haircut: Decimal


@dataclass(frozen=True)
class ScoringSettings:
    """Quality score weights (summing to 100), saturation points and maturity factors."""

    weights: Mapping[str, Decimal] = field(hash=False)
    saturation: Mapping[str, Decimal] = field(hash=False)
    maturity_factors: Mapping[str, Decimal] = field(hash=False)
    trademark_reference_score: Decimal


@dataclass(frozen=True)
class ParameterSet:
    """A complete, versioned set of valuation parameters."""

    version: str
    risk_free_rate: Decimal
    royalty_ranges: Mapping[str, RateRange] = field(hash=False)
    risk_premia: Mapping[str, RateRange] = field(hash=False)
    tax_rate: Decimal
    high_tech_tax_rate: Decimal
    economic_life_years: Mapping[str, int] = field(hash=False)
    range_spread: RateRange
    ltv_caps: Mapping[str, Decimal] = field(hash=False)
    market: MarketSettings
    cost: CostSettings
    scoring: ScoringSettings

    def royalty_range(self, industry: str) -> tuple[str, RateRange]:
        """Return the industry key actually used and its royalty range."""
        if industry in self.royalty_ranges:
            return industry, self.royalty_ranges[industry]
        return "default", self.royalty_ranges["default"]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ParameterSet:
        """Build and validate a parameter set from a plain mapping (e.g. parsed YAML)."""
        version = str(_require(data, "version"))
        if not is_version(version):
            raise ValueError(f"invalid parameter version {version!r}")
        royalty = _ranges(_require(data, "royalty_ranges"), None)
        if "default" not in royalty:
            raise ValueError("royalty_ranges must contain a 'default' industry")
        return cls(
            version=version,
            risk_free_rate=_rate(_require(data, "risk_free_rate")),
            royalty_ranges=royalty,
            risk_premia=_ranges(_require(data, "risk_premia"), PREMIUM_NAMES),
            tax_rate=_rate(_require(data, "tax_rate")),
            high_tech_tax_rate=_rate(_require(data, "high_tech_tax_rate")),
            economic_life_years=_life(_require(data, "economic_life_years")),
            range_spread=_range(_require(data, "range_spread")),
            ltv_caps=_frozen({k: _rate(v) for k, v in _keyed(data, "ltv_caps", RIGHT_KINDS)}),
            market=_market(_require(data, "market")),
            cost=_cost(_require(data, "cost")),
            scoring=_scoring(_require(data, "scoring")),
        )


def _frozen(mapping: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _require(data: Mapping[str, Any], key: str) -> Any:
    if key not in data:
        raise ValueError(f"missing parameter {key!r}")
    return data[key]


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"parameter {name!r} must be a mapping")
    return value


def _keyed(data: Mapping[str, Any], key: str, keys: tuple[str, ...]) -> list[tuple[str, Any]]:
    section = _mapping(_require(data, key), key)
    return [(name, _require(section, name)) for name in keys]


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"not a number: {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _rate(value: Any) -> Decimal:
    result = _decimal(value)
    if not Decimal(0) <= result <= Decimal(1):
        raise ValueError(f"rate {result} outside [0, 1]")
    return result


def _range(value: Any) -> RateRange:
    section = _mapping(value, "range")
    return RateRange(_rate(_require(section, "min")), _rate(_require(section, "max")))


def _ranges(value: Any, keys: tuple[str, ...] | None) -> Mapping[str, RateRange]:
    section = _mapping(value, "ranges")
    names = keys if keys is not None else tuple(str(k) for k in section)
    return _frozen({name: _range(_require(section, name)) for name in names})


def _life(value: Any) -> Mapping[str, int]:
    section = _mapping(value, "economic_life_years")
    years: dict[str, int] = {}
    for kind in RIGHT_KINDS:
        raw = _require(section, kind)
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise ValueError(f"economic life for {kind!r} must be a non-negative integer")
        years[kind] = raw
    return _frozen(years)


def _market(value: Any) -> MarketSettings:
    section = _mapping(value, "market")
    return MarketSettings(
        min_similarity=_rate(_require(section, "min_similarity")),
        market_weight=_rate(_require(section, "market_weight")),
    )


def _cost(value: Any) -> CostSettings:
    section = _mapping(value, "cost")
    apply_floor = _require(section, "apply_floor")
    if not isinstance(apply_floor, bool):
        raise ValueError("cost.apply_floor must be a boolean")
    return CostSettings(apply_floor=apply_floor, haircut=_rate(_require(section, "haircut")))


def _scoring(value: Any) -> ScoringSettings:
    section = _mapping(value, "scoring")
    weights = {k: _decimal(v) for k, v in _keyed(section, "weights", SCORE_INDICATORS)}
    if any(w < 0 for w in weights.values()) or sum(weights.values()) != HUNDRED:
        raise ValueError("scoring weights must be non-negative and sum to 100")
    saturation = {k: _decimal(v) for k, v in _keyed(section, "saturation", SATURATED_INDICATORS)}
    if any(s <= 0 for s in saturation.values()):
        raise ValueError("scoring saturation points must be positive")
    maturity = {k: _rate(v) for k, v in _keyed(section, "maturity_factors", MATURITY_LEVELS)}
    reference = _decimal(_require(section, "trademark_reference_score"))
    if not Decimal(0) <= reference <= HUNDRED:
        raise ValueError("trademark_reference_score must lie in [0, 100]")
    return ScoringSettings(
        weights=_frozen(weights),
        saturation=_frozen(saturation),
        maturity_factors=_frozen(maturity),
        trademark_reference_score=reference,
    )
