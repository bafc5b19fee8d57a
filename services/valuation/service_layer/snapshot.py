"""What a valuation is computed from, stored with it so that it can be run again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from services.valuation.domain import (
    BankInputs,
    BundleValuation,
    Comparable,
    ParameterSet,
    RightFacts,
    RightValuation,
    value_bundle,
)
from services.valuation.domain.events import DriverData, RightValue
from services.valuation.domain.model import ZERO, to_fen
from services.valuation.domain.records import RightRef
from shared.envelope import to_primitive
from shared.identifiers import parse_patent_number

NOT_ON_REGISTER = "right.not_on_register"
BANK_FIGURES = (
    "annual_revenue",
    "revenue_growth",
    "industry",
    "high_tech",
    "comparables",
    "replacement_cost",
)
_DATE_FACTS = ("filing_date", "grant_date", "expiry_date")


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """The rights, their register facts and the bank figures per right that a valuation used."""

    refs: tuple[RightRef, ...]
    facts: Mapping[str, RightFacts]
    register_versions: Mapping[str, int]
    per_right: Mapping[str, BankInputs]
    bank_figures: Mapping[str, Any] = field(default_factory=dict)
    allocation: str
    revalues: str | None = None


@dataclass(frozen=True)
class Figures:
    """A snapshot's valuation: bundle totals and the value of every listed right."""

    bundle: BundleValuation
    rights: tuple[RightValue, ...]


def value_snapshot(snapshot: Snapshot, params: ParameterSet, as_of: date) -> Figures:
    """Value the snapshot's rights; rights without register facts are worth zero."""
    facts = [snapshot.facts[ref.number] for ref in snapshot.refs if ref.number in snapshot.facts]
    bundle = value_bundle(facts, snapshot.per_right, params, as_of)
    valued = {v.number: v for v in bundle.rights}
    rights = tuple(
        _right_value(valued[ref.number], snapshot.facts[ref.number])
        if ref.number in snapshot.facts
        else _not_on_register(ref)
        for ref in snapshot.refs
    )
    return Figures(bundle, rights)


def snapshot_inputs(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot as stored with its valuation (JSON primitives)."""
    rights = [
        {
            "right_type": ref.right_type,
            "number": ref.number,
            "facts": snapshot.facts.get(ref.number),
            "register_version": snapshot.register_versions.get(ref.number),
        }
        for ref in snapshot.refs
    ]
    stored: dict[str, Any] = {
        **snapshot.bank_figures,
        "allocation": snapshot.allocation,
        "per_right": snapshot.per_right,
        "rights": rights,
    }
    if snapshot.revalues is not None:
        stored["revalues"] = snapshot.revalues
    return to_primitive(stored)


def snapshot_from_inputs(inputs: Mapping[str, Any]) -> Snapshot:
    """The snapshot a stored valuation was computed from."""
    listed = inputs["rights"]
    recorded = [r for r in listed if r["facts"] is not None]
    return Snapshot(
        refs=tuple(RightRef(r["right_type"], r["number"]) for r in listed),
        facts={r["number"]: _facts(r["facts"]) for r in recorded},
        register_versions={r["number"]: r["register_version"] for r in recorded},
        per_right={n: bank_inputs(data) for n, data in inputs["per_right"].items()},
        bank_figures={name: inputs[name] for name in BANK_FIGURES if name in inputs},
        allocation=inputs["allocation"],
        revalues=inputs.get("revalues"),
    )


def bank_inputs(data: Mapping[str, Any]) -> BankInputs:
    """Bank inputs of one right from their stored form."""
    cost = data.get("replacement_cost")
    return BankInputs(
        annual_revenue=Decimal(data["annual_revenue"]),
        revenue_growth=Decimal(data["revenue_growth"]),
        industry=data["industry"],
        high_tech=bool(data["high_tech"]),
        comparables=tuple(
            Comparable(Decimal(c["price"]), Decimal(c["similarity"])) for c in data["comparables"]
        ),
        replacement_cost=None if cost is None else Decimal(cost),
    )


def _facts(data: Mapping[str, Any]) -> RightFacts:
    values: dict[str, Any] = {
        name: date.fromisoformat(value) if name in _DATE_FACTS and value is not None else value
        for name, value in data.items()
    }
    return RightFacts(**values)


def _kind(ref: RightRef) -> str:
    if ref.right_type == "trademark":
        return "trademark"
    return parse_patent_number(ref.number).kind.value


def _right_value(valued: RightValuation, facts: RightFacts) -> RightValue:
    return RightValue(
        number=valued.number,
        right_type=valued.right_type,
        kind=facts.kind,
        expiry_date=facts.expiry_date,
        low=valued.low,
        central=valued.central,
        high=valued.high,
        method=valued.method,
        zero_reason=valued.zero_reason,
        quality_score=valued.quality_score,
        recommended_ltv=valued.recommended_ltv,
        drivers=tuple(DriverData(d.name, d.value, d.effect) for d in valued.drivers),
    )


def _not_on_register(ref: RightRef) -> RightValue:
    nothing = to_fen(ZERO)
    driver = DriverData(
        "zero_value",
        NOT_ON_REGISTER,
        "no registry record of this right has reached valuation; value set to zero",
    )
    return RightValue(
        number=ref.number,
        right_type=ref.right_type,
        kind=_kind(ref),
        low=nothing,
        central=nothing,
        high=nothing,
        method="zero",
        zero_reason=NOT_ON_REGISTER,
        quality_score=None,
        recommended_ltv=ZERO,
        drivers=(driver,),
    )
