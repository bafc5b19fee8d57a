"""Valuation's handlers for valuations: on demand for banks, and of loan applications for credit.

Each runs in the unit of work the message bus opened for it and never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.valuation.domain import BankInputs, Comparable, signoff_status, zero_reason
from services.valuation.domain.events import ValuationCompleted
from services.valuation.domain.model import to_fen
from services.valuation.domain.records import RightRef
from services.valuation.domain.valuation import (
    CREDIT,
    REVALUATION,
    SUPERSEDED,
    Valuation,
    ValuationNotFound,
)
from services.valuation.service_layer.commands import (
    BankFigures,
    GetValuation,
    ValueApplication,
    ValueRights,
)
from services.valuation.service_layer.deps import ValuationDeps
from services.valuation.service_layer.ports import ValuationUnitOfWork
from services.valuation.service_layer.snapshot import (
    Figures,
    Snapshot,
    snapshot_inputs,
    value_snapshot,
)
from shared.envelope import to_primitive
from shared.identifiers import InvalidIdentifier
from shared.kernel.errors import Invalid
from shared.workdays import beijing_date

RESERVED_REQUESTERS = frozenset({CREDIT, REVALUATION, SUPERSEDED})
ALLOCATION = (
    "bundle figures split over the usable rights: revenue and replacement cost in equal shares"
    " to the fen with the remainder to the first right; comparable prices divided equally"
)


class InvalidRightNumber(Invalid):
    """A right's number is malformed; `code` names the rule it breaks."""

    title = "Invalid identifier"


class DuplicateRight(Invalid):
    """A right is listed twice in one valuation request."""

    code = "rights.duplicate"
    title = "Duplicate right"


@dataclass(frozen=True)
class Requester:
    """Who a valuation is for, and the case it belongs to."""

    reference: str | None
    requested_by: str


async def value_rights(
    command: ValueRights, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> Valuation:
    """Value rights on demand for a bank; each right is listed once."""
    refs = _register_refs(command.rights)
    requester = Requester(None, command.requested_by)
    return await _value(refs, command.figures, requester, uow, deps)


async def value_application(
    command: ValueApplication, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> Valuation:
    """Value a loan application's collateral; the loan's earlier valuation if it has one."""
    earlier = await uow.valuations.for_application(command.loan_id)
    if earlier is not None:
        return earlier
    refs = tuple(dict.fromkeys(command.rights))
    requester = Requester(command.loan_id, CREDIT)
    return await _value(refs, command.figures, requester, uow, deps)


async def get_valuation(
    query: GetValuation, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> Valuation:
    """A valuation made for this requester."""
    valuation = await uow.valuations.get(query.valuation_id)
    if valuation is None or valuation.completed.requested_by != query.requested_by:
        raise ValuationNotFound(f"no valuation {query.valuation_id}")
    return valuation


async def store_valuation(
    snapshot: Snapshot,
    requester: Requester,
    uow: ValuationUnitOfWork,
    deps: ValuationDeps,
    now: datetime,
) -> Valuation:
    """Value a snapshot with the parameters in force and store it (`valuation.completed`)."""
    policy = deps.policy
    as_of = beijing_date(now)
    figures = value_snapshot(snapshot, policy.parameters, as_of)
    status = signoff_status(figures.bundle.central, policy.signoff_threshold)
    valuation = Valuation.make(
        _completed(requester, figures, as_of, now, status), snapshot_inputs(snapshot)
    )
    await uow.valuations.add(valuation)
    return valuation


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` equal shares to the fen; the remainder goes to the first share."""
    if parts <= 0:
        return []
    fen = int(to_fen(total).scaleb(2))
    share, remainder = divmod(fen, parts)
    shares = [Decimal(share).scaleb(-2)] * parts
    shares[0] = Decimal(share + remainder).scaleb(-2)
    return shares


async def _value(
    refs: tuple[RightRef, ...],
    figures: BankFigures,
    requester: Requester,
    uow: ValuationUnitOfWork,
    deps: ValuationDeps,
) -> Valuation:
    now = deps.clock.now()
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
        per_right=_allocate(figures, usable),
        bank_figures=to_primitive(figures),
        allocation=ALLOCATION,
    )
    return await store_valuation(snapshot, requester, uow, deps, now)


def _register_refs(rights: Sequence[RightRef]) -> tuple[RightRef, ...]:
    try:
        refs = tuple(ref.canonical() for ref in rights)
    except InvalidIdentifier as exc:
        raise InvalidRightNumber(str(exc), code=exc.code) from exc
    if len(set(refs)) != len(refs):
        raise DuplicateRight("a right is listed twice")
    return refs


def _allocate(figures: BankFigures, usable: Sequence[str]) -> dict[str, BankInputs]:
    count = len(usable)
    revenues = split_evenly(figures.annual_revenue, count)
    if figures.replacement_cost is None:
        costs: list[Decimal | None] = [None] * count
    else:
        costs = list(split_evenly(figures.replacement_cost, count))
    comparables = tuple(
        Comparable(to_fen(c.price / count), c.similarity) for c in figures.comparables if count
    )
    return {
        number: BankInputs(
            annual_revenue=revenue,
            revenue_growth=figures.revenue_growth,
            industry=figures.industry,
            high_tech=figures.high_tech,
            comparables=comparables,
            replacement_cost=cost,
        )
        for number, revenue, cost in zip(usable, revenues, costs, strict=True)
    }


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
