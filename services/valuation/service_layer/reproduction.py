"""Running a stored valuation again from its snapshot and its recorded parameter version."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.valuation.domain import ParameterSet, load_parameters
from services.valuation.service_layer.events import ValuationCompleted
from services.valuation.service_layer.handlers import ValuationNotFound
from services.valuation.service_layer.snapshot import Figures, snapshot_from_inputs, value_snapshot
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from shared.envelope import to_primitive


class ParametersUnavailable(Exception):
    """The parameter version a valuation recorded cannot be loaded."""


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


@functools.lru_cache(maxsize=32)
def parameters_for(version: str) -> ParameterSet:
    """The parameter set stored under `version`."""
    try:
        return load_parameters(version)
    except (OSError, ValueError) as exc:
        raise ParametersUnavailable(f"parameter version {version!r}: {exc}") from exc


async def reproduce(valuation_id: str, uow: ValuationUnitOfWork) -> Reproduction:
    """Value a stored valuation's snapshot again, as of its date, and compare every figure."""
    record = await uow.valuations.get(valuation_id)
    if record is None:
        raise ValuationNotFound(valuation_id)
    valuation = record.valuation
    params = parameters_for(valuation.parameter_version)
    figures = value_snapshot(snapshot_from_inputs(record.inputs), params, valuation.as_of)
    differences = tuple(_differences(_recorded(valuation), _reproduced(figures)))
    return Reproduction(
        valuation_id=valuation_id,
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
