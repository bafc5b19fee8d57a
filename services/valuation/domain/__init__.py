"""Pure valuation domain: right facts and bank inputs in, value ranges with drivers out."""

from services.valuation.domain.methods import (
    cost_value,
    income_royalty_share,
    market_value,
    relief_from_royalty,
    remaining_whole_years,
    value_bundle,
    value_right,
    zero_reason,
)
from services.valuation.domain.model import (
    BankInputs,
    BundleValuation,
    Comparable,
    Driver,
    RightFacts,
    RightValuation,
)
from services.valuation.domain.parameters import (
    CostSettings,
    MarketSettings,
    ParameterSet,
    RateRange,
    ScoringSettings,
    load_parameters,
)
from services.valuation.domain.scoring import (
    QualityScore,
    discount_rate,
    reference_score,
    remaining_term_share,
    royalty_rate,
    score_patent,
)

__all__ = [
    "BankInputs",
    "BundleValuation",
    "Comparable",
    "CostSettings",
    "Driver",
    "MarketSettings",
    "ParameterSet",
    "QualityScore",
    "RateRange",
    "RightFacts",
    "RightValuation",
    "ScoringSettings",
    "cost_value",
    "discount_rate",
    "income_royalty_share",
    "load_parameters",
    "market_value",
    "reference_score",
    "relief_from_royalty",
    "remaining_term_share",
    "remaining_whole_years",
    "royalty_rate",
    "score_patent",
    "value_bundle",
    "value_right",
    "zero_reason",
]
