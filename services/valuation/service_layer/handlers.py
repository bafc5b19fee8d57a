"""Valuation's use cases. Each runs in one unit of work; HTTP and event entry points call them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from services.valuation.domain import (
    BankInputs,
    BundleValuation,
    Comparable,
    ParameterSet,
    RightValuation,
    value_bundle,
    zero_reason,
)
from services.valuation.domain.model import ZERO, to_fen
from services.valuation.service_layer.events import DriverData, RightValue, ValuationCompleted
from services.valuation.service_layer.records import RegisteredRight, ValuationRecord
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from shared.envelope import to_primitive
from shared.identifiers import parse_patent_number, parse_trademark_number
from shared.workdays import beijing_date

NOT_ON_REGISTER = "right.not_on_register"
ALLOCATION = (
    "bundle figures split over the usable rights: revenue and replacement cost in equal shares"
    " to the fen with the remainder to the first right; comparable prices divided equally"
)


class ValuationNotFound(Exception):
    """No such valuation for this requester."""


class RightNotFound(Exception):
    """The register read model has no such right."""


@dataclass(frozen=True)
class RightRef:
    right_type: str
    number: str


@dataclass(frozen=True, kw_only=True)
class ValueCollateral:
    reference: str | None
    requested_by: str
    rights: tuple[RightRef, ...]
    annual_revenue: Decimal
    industry: str
    high_tech: bool
    parameters: ParameterSet
    revenue_growth: Decimal = ZERO
    comparables: tuple[Comparable, ...] = ()
    replacement_cost: Decimal | None = None


def canonical_number(right_type: str, number: str) -> str:
    """The number in its register form; raises `InvalidIdentifier` when malformed."""
    if right_type == "patent":
        return parse_patent_number(number).canonical
    if right_type == "trademark":
        return parse_trademark_number(number)
    raise ValueError(f"unknown right_type {right_type!r}")


async def record_right(right: RegisteredRight, uow: ValuationUnitOfWork) -> bool:
    """Update the read model from a registry event; an older version than stored is ignored."""
    return await uow.rights.upsert(right)


async def value_collateral(command: ValueCollateral, uow: ValuationUnitOfWork) -> ValuationRecord:
    """Value the rights as recorded and ship the result (inside the caller's transaction)."""
    completed_at = datetime.now(UTC)
    as_of = beijing_date(completed_at)
    refs = tuple(dict.fromkeys(command.rights))
    known = await uow.rights.get_many(ref.number for ref in refs)
    facts = [known[ref.number].facts() for ref in refs if ref.number in known]
    usable = [f.number for f in facts if zero_reason(f, as_of) is None]
    per_right = _allocate(command, usable)
    bundle = value_bundle(facts, per_right, command.parameters, as_of)
    valuation = _completed(command, refs, known, bundle, as_of, completed_at)
    inputs = _inputs(command, refs, known, per_right)
    await uow.valuations.add(valuation, inputs)
    uow.emit(valuation.valuation_id, 1, valuation)
    return ValuationRecord(valuation, inputs)


async def request_valuation(command: ValueCollateral, uow: ValuationUnitOfWork) -> ValuationRecord:
    """Value rights on demand and commit."""
    record = await value_collateral(command, uow)
    await uow.commit()
    return record


async def get_valuation(
    valuation_id: str, requested_by: str, uow: ValuationUnitOfWork
) -> ValuationRecord:
    """A valuation made for this requester."""
    record = await uow.valuations.get(valuation_id)
    if record is None or record.valuation.requested_by != requested_by:
        raise ValuationNotFound(valuation_id)
    return record


async def get_right(number: str, uow: ValuationUnitOfWork) -> RegisteredRight:
    """A right of the register read model."""
    right = await uow.rights.get(number)
    if right is None:
        raise RightNotFound(number)
    return right


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` equal shares to the fen; the remainder goes to the first share."""
    if parts <= 0:
        return []
    fen = int(to_fen(total).scaleb(2))
    share, remainder = divmod(fen, parts)
    shares = [Decimal(share).scaleb(-2)] * parts
    shares[0] = Decimal(share + remainder).scaleb(-2)
    return shares


def _allocate(command: ValueCollateral, usable: Sequence[str]) -> dict[str, BankInputs]:
    count = len(usable)
    revenues = split_evenly(command.annual_revenue, count)
    if command.replacement_cost is None:
        costs: list[Decimal | None] = [None] * count
    else:
        costs = list(split_evenly(command.replacement_cost, count))
    comparables = tuple(
        Comparable(to_fen(c.price / count), c.similarity) for c in command.comparables if count
    )
    return {
        number: BankInputs(
            annual_revenue=revenue,
            revenue_growth=command.revenue_growth,
            industry=command.industry,
            high_tech=command.high_tech,
            comparables=comparables,
            replacement_cost=cost,
        )
        for number, revenue, cost in zip(usable, revenues, costs, strict=True)
    }


def _kind(ref: RightRef) -> str:
    if ref.right_type == "trademark":
        return "trademark"
    return parse_patent_number(ref.number).kind.value


def _right_value(valued: RightValuation, kind: str) -> RightValue:
    return RightValue(
        number=valued.number,
        right_type=valued.right_type,
        kind=kind,
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


def _completed(
    command: ValueCollateral,
    refs: Sequence[RightRef],
    known: Mapping[str, RegisteredRight],
    bundle: BundleValuation,
    as_of: date,
    completed_at: datetime,
) -> ValuationCompleted:
    valued = {v.number: v for v in bundle.rights}
    values = tuple(
        _right_value(valued[ref.number], known[ref.number].kind)
        if ref.number in known
        else _not_on_register(ref)
        for ref in refs
    )
    return ValuationCompleted(
        valuation_id=str(uuid.uuid4()),
        reference=command.reference,
        requested_by=command.requested_by,
        parameter_version=bundle.parameter_version,
        as_of=as_of,
        low=bundle.low,
        central=bundle.central,
        high=bundle.high,
        recommended_max_loan=bundle.recommended_max_loan,
        largest_share=bundle.largest_share,
        concentration_note=bundle.concentration_note,
        rights=values,
        completed_at=completed_at,
    )


def _inputs(
    command: ValueCollateral,
    refs: Sequence[RightRef],
    known: Mapping[str, RegisteredRight],
    per_right: Mapping[str, BankInputs],
) -> dict[str, Any]:
    rights = [
        {
            "right_type": ref.right_type,
            "number": ref.number,
            "facts": known[ref.number].facts() if ref.number in known else None,
            "register_version": (
                known[ref.number].source_event_version if ref.number in known else None
            ),
        }
        for ref in refs
    ]
    return to_primitive(
        {
            "annual_revenue": command.annual_revenue,
            "revenue_growth": command.revenue_growth,
            "industry": command.industry,
            "high_tech": command.high_tech,
            "comparables": command.comparables,
            "replacement_cost": command.replacement_cost,
            "allocation": ALLOCATION,
            "per_right": per_right,
            "rights": rights,
        }
    )
