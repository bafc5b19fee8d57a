"""Appraiser sign-off: provisional valuations are approved or adjusted, then published."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from services.valuation.domain import (
    ADJUSTED,
    APPROVED,
    PROVISIONAL,
    SignOffRefused,
    ValueRange,
    require_reason,
    scaled_max_loan,
    spread_range,
)
from services.valuation.domain.model import format_amount
from services.valuation.service_layer.events import (
    DriverData,
    RightValue,
    ValuationCompleted,
    ValuationSignedOff,
)
from services.valuation.service_layer.handlers import ValuationNotFound
from services.valuation.service_layer.records import SignOffRecord, ValuationRecord
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork


@dataclass(frozen=True, kw_only=True)
class SignOff:
    """An appraiser's sign-off; with `adjusted` figures it adjusts, without it approves."""

    valuation_id: str
    appraiser_id: str
    reason: str | None = None
    adjusted: ValueRange | None = None


@dataclass(frozen=True)
class PendingPage:
    """One page of valuations waiting for sign-off; `next_cursor` is None on the last page."""

    items: list[ValuationRecord]
    next_cursor: str | None


async def pending_signoffs(limit: int, after: str | None, uow: ValuationUnitOfWork) -> PendingPage:
    """Provisional valuations waiting for an appraiser, oldest first."""
    if after is not None and await uow.valuations.get(after) is None:
        raise ValuationNotFound(after)
    records = await uow.valuations.pending(limit + 1, after)
    items = records[:limit]
    more = len(records) > limit
    return PendingPage(items, items[-1].valuation.valuation_id if more else None)


async def get_appraisal(valuation_id: str, uow: ValuationUnitOfWork) -> ValuationRecord:
    """Any valuation with its sign-off, for appraisers."""
    record = await uow.valuations.get(valuation_id)
    if record is None:
        raise ValuationNotFound(valuation_id)
    return record


async def sign_off(command: SignOff, uow: ValuationUnitOfWork) -> SignOffRecord:
    """Approve or adjust a provisional valuation, record it and ship `valuation.signed_off`."""
    record = await get_appraisal(command.valuation_id, uow)
    valuation = record.valuation
    if valuation.status != PROVISIONAL:
        raise SignOffRefused(
            "valuation.not_provisional", f"valuation {valuation.valuation_id} is {valuation.status}"
        )
    signoff = _decide(valuation, command, datetime.now(UTC))
    if record.signoff is not None or not await uow.valuations.add_signoff(signoff):
        raise SignOffRefused(
            "valuation.already_signed_off", f"valuation {valuation.valuation_id} is signed off"
        )
    uow.emit(valuation.valuation_id, 2, signed_off_event(valuation, signoff))
    await uow.commit()
    return signoff


def signed_off_event(valuation: ValuationCompleted, signoff: SignOffRecord) -> ValuationSignedOff:
    """The published form of a sign-off."""
    return ValuationSignedOff(
        valuation_id=valuation.valuation_id,
        reference=valuation.reference,
        requested_by=valuation.requested_by,
        outcome=signoff.outcome,
        low=signoff.after.low,
        central=signoff.after.central,
        high=signoff.after.high,
        recommended_max_loan=signoff.recommended_max_loan,
        appraiser_id=signoff.appraiser_id,
        reason=signoff.reason,
        signed_off_at=signoff.signed_off_at,
        rights=signoff.rights,
    )


def _decide(valuation: ValuationCompleted, command: SignOff, now: datetime) -> SignOffRecord:
    before = ValueRange(valuation.low, valuation.central, valuation.high)
    if command.adjusted is None:
        note = command.reason.strip() if command.reason and command.reason.strip() else None
        outcome, after, reason = APPROVED, before, note
        rights, max_loan = valuation.rights, valuation.recommended_max_loan
    else:
        outcome, after, reason = ADJUSTED, command.adjusted, require_reason(command.reason)
        rights = _adjusted_rights(valuation.rights, after, reason)
        weights = [(r.central, r.recommended_ltv) for r in valuation.rights]
        max_loan = scaled_max_loan(weights, after.central)
    return SignOffRecord(
        valuation_id=valuation.valuation_id,
        outcome=outcome,
        appraiser_id=command.appraiser_id,
        reason=reason,
        before=before,
        after=after,
        recommended_max_loan=max_loan,
        rights=rights,
        signed_off_at=now,
    )


def _adjusted_rights(
    rights: tuple[RightValue, ...], target: ValueRange, reason: str
) -> tuple[RightValue, ...]:
    spread = spread_range([ValueRange(r.low, r.central, r.high) for r in rights], target)
    return tuple(
        replace(
            right,
            low=part.low,
            central=part.central,
            high=part.high,
            drivers=(*right.drivers, _adjustment(right.central, part.central, reason)),
        )
        for right, part in zip(rights, spread, strict=True)
    )


def _adjustment(before: Decimal, after: Decimal, reason: str) -> DriverData:
    effect = (
        f"appraiser adjusted the bundle; central {format_amount(before)} scaled pro rata"
        f" to {format_amount(after)}: {reason}"
    )
    return DriverData("appraiser_adjustment", format_amount(after), effect)
