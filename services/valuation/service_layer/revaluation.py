"""Collateral of disbursed loans followed from credit's events; revaluation when a pledged right
weakens.

Each handler runs in the unit of work the message bus opened for it and never commits.
"""

from __future__ import annotations

from services.valuation.domain import BankInputs, impairment_reason
from services.valuation.domain.collateral import LoanCollateral
from services.valuation.domain.model import ZERO
from services.valuation.domain.records import RegisteredRight
from services.valuation.domain.valuation import REVALUATION, Valuation
from services.valuation.service_layer.commands import FollowCollateral, ReleaseCollateral
from services.valuation.service_layer.deps import ValuationDeps
from services.valuation.service_layer.handlers import Requester, store_valuation
from services.valuation.service_layer.ports import ValuationUnitOfWork
from services.valuation.service_layer.snapshot import Snapshot, snapshot_from_inputs
from shared.kernel.errors import NotFound
from shared.workdays import beijing_date

REVALUATION_ALLOCATION = (
    "each right keeps the bank figures it had in the revalued valuation;"
    " a right that had none is valued on zero revenue"
)


class LoanNotValued(NotFound):
    """Credit disbursed a loan that valuation never valued."""

    code = "loan.not_valued"
    title = "Loan not valued"


async def follow_collateral(
    command: FollowCollateral, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> LoanCollateral:
    """Follow the rights of a disbursed loan (those its valuation valued), once."""
    followed = await uow.collaterals.get(command.loan_id)
    if followed is not None:
        return followed
    valuation = await uow.valuations.for_application(command.loan_id)
    if valuation is None:
        raise LoanNotValued(f"no valuation for loan {command.loan_id}")
    collateral = LoanCollateral.follow(command.loan_id, valuation, deps.clock.now())
    await uow.collaterals.add(collateral)
    return collateral


async def release_collateral(
    command: ReleaseCollateral, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> None:
    """Stop following a loan's rights: its pledge is released or it is repaid."""
    collateral = await uow.collaterals.get(command.loan_id)
    if collateral is None or collateral.released:
        return
    collateral.release()
    await uow.collaterals.save(collateral)


async def review_pledged_right(
    right: RegisteredRight, uow: ValuationUnitOfWork, deps: ValuationDeps
) -> None:
    """Revalue each loan a right backs once the right is unusable or its term nearly over."""
    followed = await uow.collaterals.following(right.number)
    if not followed:
        return
    now = deps.clock.now()
    minimum = deps.policy.impairment_min_remaining_years
    reason = impairment_reason(right.facts(), beijing_date(now), minimum)
    if reason is None:
        return
    for collateral in followed:
        if not collateral.impaired_by(right.number, reason):
            continue
        basis = await uow.valuations.get(collateral.valuation_id)
        if basis is None:
            continue
        snapshot = await _revaluation_snapshot(basis, uow)
        requester = Requester(collateral.loan_reference, REVALUATION)
        revalued = await store_valuation(snapshot, requester, uow, deps, now)
        collateral.impair(right.number, reason, basis, revalued, now)
        await uow.collaterals.save(collateral)


async def _revaluation_snapshot(basis: Valuation, uow: ValuationUnitOfWork) -> Snapshot:
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
        revalues=basis.valuation_id,
    )
