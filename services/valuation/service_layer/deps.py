"""What valuation's handlers need besides a unit of work: the rules in force, the stored
parameter versions and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.valuation.domain.parameters import ParameterSet
from services.valuation.service_layer.ports import ParameterSets
from shared.kernel.clock import Clock


@dataclass(frozen=True)
class ValuationPolicy:
    """The parameter set in force and the limits the valuation rules read."""

    parameters: ParameterSet
    signoff_threshold: Decimal
    impairment_min_remaining_years: int


@dataclass(frozen=True)
class ValuationDeps:
    policy: ValuationPolicy
    parameter_sets: ParameterSets
    clock: Clock
