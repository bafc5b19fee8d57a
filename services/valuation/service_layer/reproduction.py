"""Running a stored valuation again from its snapshot and its recorded parameter version."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.valuation.domain.events import ValuationCompleted
from services.valuation.domain.valuation import ValuationNotFound
from services.valuation.service_layer.commands import ReproduceValuation
from services.valuation.service_layer.deps import ValuationDeps
from services.valuation.service_layer.ports import ValuationUnitOfWork
from services.valuation.service_layer.snapshot import Figures, snapshot_from_inputs, value_snapshot
from shared.envelope import to_primitive


@dataclass(frozen=True)
class Difference:
    """A figure that came out differently, as recorded and as reproduced."""

    figure: str
    recorded: Any
    reproduced: Any


@dataclass(frozen=True)
class Reproduction:
    """The outcome of running a valuation again: whether every figure matches, and what not."""

    valuation_id: str
    parameter_version: str
    as_of: date
    matches: bool
    differences: tuple[Difference, ...]


async def reproduce(
    query: ReproduceValuation, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> Reproduction:
    """Value a stored valuation's snapshot again, as of its date, and compare every figure.

    Refused (`parameters.unavailable`) when its parameter version can no longer be loaded.
    """
    stored = await uow.valuations.get(query.valuation_id)
    if stored is None:
        raise ValuationNotFound(f"no valuation {query.valuation_id}")
    valuation = stored.completed
    params = deps.parameter_sets.get(valuation.parameter_version)
    figures = value_snapshot(snapshot_from_inputs(stored.inputs), params, valuation.as_of)
    differences = tuple(_differences(_recorded(valuation), _reproduced(figures)))
    return Reproduction(
        valuation_id=valuation.valuation_id,
        parameter_version=valuation.parameter_version,
        as_of=valuation.as_of,
        matches=not differences,
        differences=differences,
    )


def _recorded(valuation: ValuationCompleted) -> dict[str, Any]:
    return to_primitive(
        {
            "parameter_version": valuation.parameter_version,
            "low": valuation.low,
            "central": valuation.central,
            "high": valuation.high,
            "recommended_max_loan": valuation.recommended_max_loan,
            "largest_share": valuation.largest_share,
            "concentration_note": valuation.concentration_note,
            "rights": valuation.rights,
        }
    )


def _reproduced(figures: Figures) -> dict[str, Any]:
    bundle = figures.bundle
    return to_primitive(
        {
            "parameter_version": bundle.parameter_version,
            "low": bundle.low,
            "central": bundle.central,
            "high": bundle.high,
            "recommended_max_loan": bundle.recommended_max_loan,
            "largest_share": bundle.largest_share,
            "concentration_note": bundle.concentration_note,
            "rights": figures.rights,
        }
    )


def _differences(recorded: Any, reproduced: Any, path: str = "") -> Iterator[Difference]:
    if isinstance(recorded, dict) and isinstance(reproduced, dict):
        for key in sorted(set(recorded) | set(reproduced)):
            yield from _differences(
                recorded.get(key), reproduced.get(key), f"{path}.{key}" if path else key
            )
    elif (
        isinstance(recorded, list)
        and isinstance(reproduced, list)
        and len(recorded) == len(reproduced)
    ):
        for index, (old, new) in enumerate(zip(recorded, reproduced, strict=True)):
            yield from _differences(old, new, f"{path}[{index}]")
    elif recorded != reproduced:
        yield Difference(path, recorded, reproduced)
