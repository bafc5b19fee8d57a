"""Valuation's use cases. Each runs in one unit of work; HTTP and event entry points call them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from services.valuation.domain import (
    BankInputs,
    Comparable,
    ParameterSet,
    signoff_status,
    zero_reason,
)
from services.valuation.domain.model import ZERO, to_fen
from services.valuation.service_layer.events import ValuationCompleted
from services.valuation.service_layer.records import RegisteredRight, ValuationRecord
from services.valuation.service_layer.snapshot import (
    Figures,
    RightRef,
    Snapshot,
    snapshot_inputs,
    value_snapshot,
)
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from shared.envelope import to_primitive
from shared.identifiers import parse_patent_number, parse_trademark_number
from shared.workdays import beijing_date

CREDIT = "credit"
REVALUATION = "revaluation"
RESERVED_REQUESTERS = frozenset({CREDIT, REVALUATION})
ALLOCATION = (
    "bundle figures split over the usable rights: revenue and replacement cost in equal shares"
    " to the fen with the remainder to the first right; comparable prices divided equally"
)


class ValuationNotFound(Exception):
    """No such valuation for this requester."""


class RightNotFound(Exception):
    """The register read model has no such right."""


@dataclass(frozen=True)
class ValuationPolicy:
    """The parameter set in force and the limits the valuation rules read."""

    parameters: ParameterSet
    signoff_threshold: Decimal
    impairment_min_remaining_years: int


@dataclass(frozen=True)
class Requester:
    """Who a valuation is for, and the case it belongs to."""

    reference: str | None
    requested_by: str


@dataclass(frozen=True, kw_only=True)
class ValueCollateral:
    reference: str | None
    requested_by: str
    rights: tuple[RightRef, ...]
    annual_revenue: Decimal
    industry: str
    high_tech: bool
    policy: ValuationPolicy
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
    now = datetime.now(UTC)
    refs = tuple(dict.fromkeys(command.rights))
    known = await uow.rights.get_many(ref.number for ref in refs)
    facts = {number: right.facts() for number, right in known.items()}
    as_of = beijing_date(now)
    usable = [
        r.number for r in refs if r.number in facts and zero_reason(facts[r.number], as_of) is None
    ]
    snapshot = Snapshot(
        refs=refs,
        facts=facts,
        register_versions={number: right.source_event_version for number, right in known.items()},
        per_right=_allocate(command, usable),
        bank_figures=_bank_figures(command),
        allocation=ALLOCATION,
    )
    requester = Requester(command.reference, command.requested_by)
    return await store_valuation(snapshot, requester, command.policy, uow, now)


async def store_valuation(
    snapshot: Snapshot,
    requester: Requester,
    policy: ValuationPolicy,
    uow: ValuationUnitOfWork,
    now: datetime,
) -> ValuationRecord:
    """Value a snapshot with the parameters in force, store it and ship `valuation.completed`."""
    as_of = beijing_date(now)
    figures = value_snapshot(snapshot, policy.parameters, as_of)
    status = signoff_status(figures.bundle.central, policy.signoff_threshold)
    valuation = _completed(requester, figures, as_of, now, status)
    inputs = snapshot_inputs(snapshot)
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


def _bank_figures(command: ValueCollateral) -> dict[str, Any]:
    return to_primitive(
        {
            "annual_revenue": command.annual_revenue,
            "revenue_growth": command.revenue_growth,
            "industry": command.industry,
            "high_tech": command.high_tech,
            "comparables": command.comparables,
            "replacement_cost": command.replacement_cost,
        }
    )


def _completed(
    requester: Requester, figures: Figures, as_of: date, completed_at: datetime, status: str
) -> ValuationCompleted:
    bundle = figures.bundle
    return ValuationCompleted(
        valuation_id=str(uuid.uuid4()),
        reference=requester.reference,
        requested_by=requester.requested_by,
        parameter_version=bundle.parameter_version,
        as_of=as_of,
        low=bundle.low,
        central=bundle.central,
        high=bundle.high,
        recommended_max_loan=bundle.recommended_max_loan,
        largest_share=bundle.largest_share,
        concentration_note=bundle.concentration_note,
        rights=figures.rights,
        completed_at=completed_at,
        status=status,
    )
