"""Pledged collateral followed from credit's events; revaluation when a pledged right weakens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from services.valuation.domain import BankInputs, impairment_reason
from services.valuation.domain.model import ZERO, to_fen
from services.valuation.service_layer.events import RightValue, ValuationImpaired
from services.valuation.service_layer.handlers import (
    CREDIT,
    REVALUATION,
    Requester,
    ValuationPolicy,
    store_valuation,
)
from services.valuation.service_layer.records import Pledge, ValuationRecord
from services.valuation.service_layer.snapshot import Snapshot, snapshot_from_inputs
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from shared.workdays import beijing_date

REVALUATION_ALLOCATION = (
    "each right keeps the bank figures it had in the revalued valuation;"
    " a right that had none is valued on zero revenue"
)


class LoanNotValued(Exception):
    """Credit disbursed a loan that valuation never valued."""


async def pledge_collateral(loan_reference: str, uow: ValuationUnitOfWork) -> int:
    """Follow the rights of a disbursed loan (those its valuation valued); returns how many."""
    record = await uow.valuations.latest_for(loan_reference, CREDIT)
    if record is None:
        raise LoanNotValued(loan_reference)
    valuation_id = record.valuation.valuation_id
    pledges = [Pledge(r.number, loan_reference, valuation_id) for r in record.valuation.rights]
    await uow.pledges.add(pledges, datetime.now(UTC))
    return len(pledges)


async def release_collateral(loan_reference: str, uow: ValuationUnitOfWork) -> int:
    """Stop following a loan's rights; returns how many were followed."""
    return await uow.pledges.release(loan_reference)


async def review_pledged_right(
    number: str, policy: ValuationPolicy, uow: ValuationUnitOfWork
) -> list[ValuationImpaired]:
    """Revalue each loan a right backs once the right is unusable or its term nearly over."""
    pledges = await uow.pledges.for_right(number)
    right = await uow.rights.get(number) if pledges else None
    if right is None:
        return []
    now = datetime.now(UTC)
    as_of = beijing_date(now)
    reason = impairment_reason(right.facts(), as_of, policy.impairment_min_remaining_years)
    if reason is None:
        return []
    found = []
    for pledge in pledges:
        if await uow.impairments.seen(pledge.loan_reference, number, reason):
            continue
        impaired = await _impair(pledge, reason, policy, uow, now)
        if impaired is not None:
            found.append(impaired)
    return found


async def _impair(
    pledge: Pledge,
    reason: str,
    policy: ValuationPolicy,
    uow: ValuationUnitOfWork,
    now: datetime,
) -> ValuationImpaired | None:
    basis_id = await uow.pledges.lock_loan(pledge.loan_reference)
    basis = await uow.valuations.get(basis_id) if basis_id is not None else None
    if basis is None:
        return None
    snapshot = await _revaluation_snapshot(basis, uow)
    requester = Requester(pledge.loan_reference, REVALUATION)
    record = await store_valuation(snapshot, requester, policy, uow, now)
    await uow.pledges.rebase(pledge.loan_reference, record.valuation.valuation_id)
    impaired = ValuationImpaired(
        loan_reference=pledge.loan_reference,
        right_number=pledge.right_number,
        reason=reason,
        previous_central=basis.effective_central,
        new_central=record.valuation.central,
        valuation_id=record.valuation.valuation_id,
        detected_at=now,
        previous_right_central=_central_of(basis.effective_rights, pledge.right_number),
        new_right_central=_central_of(record.valuation.rights, pledge.right_number),
    )
    version = await uow.impairments.add(impaired)
    uow.emit(pledge.loan_reference, version, impaired)
    return impaired


async def _revaluation_snapshot(basis: ValuationRecord, uow: ValuationUnitOfWork) -> Snapshot:
    stored = snapshot_from_inputs(basis.inputs)
    known = await uow.rights.get_many(ref.number for ref in stored.refs)
    figures = stored.bank_figures
    no_figures = BankInputs(
        annual_revenue=ZERO,
        industry=str(figures.get("industry", "default")),
        high_tech=bool(figures.get("high_tech", False)),
    )
    return Snapshot(
        refs=stored.refs,
        facts={number: right.facts() for number, right in known.items()},
        register_versions={number: right.source_event_version for number, right in known.items()},
        per_right={number: stored.per_right.get(number, no_figures) for number in known},
        bank_figures=figures,
        allocation=REVALUATION_ALLOCATION,
        revalues=basis.valuation.valuation_id,
    )


def _central_of(rights: Sequence[RightValue], number: str) -> Decimal:
    return next((r.central for r in rights if r.number == number), to_fen(ZERO))
