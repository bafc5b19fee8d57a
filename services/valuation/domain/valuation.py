"""A valuation: made once and never changed; a provisional one gets one appraiser's sign-off.

Its events carry the valuation id as key: `valuation.completed` when it is made (version 1),
`valuation.signed_off` when an appraiser approves or adjusts it (version 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.valuation.domain.events import (
    DriverData,
    RightValue,
    ValuationCompleted,
    ValuationSignedOff,
)
from services.valuation.domain.model import format_amount
from services.valuation.domain.records import SignOffRecord
from services.valuation.domain.signoff import (
    ADJUSTED,
    APPROVED,
    PROVISIONAL,
    ValueRange,
    require_reason,
    scaled_max_loan,
    spread_range,
)
from shared.kernel.errors import Conflict, NotFound
from shared.kernel.events import Aggregate

# Who a valuation is made for, besides the banks asking on demand: credit, for a loan
# application's collateral (once per loan), and valuation itself, revaluing a loan's collateral.
CREDIT = "credit"
REVALUATION = "revaluation"
# Later credit valuations of one loan, made before a loan was valued for credit only once.
SUPERSEDED = "credit.superseded"


class ValuationNotFound(NotFound):
    """No such valuation (or not one the caller requested)."""

    code = "valuation.not_found"
    title = "Valuation not found"


class NotProvisional(Conflict):
    """Only a provisional valuation is signed off."""

    code = "valuation.not_provisional"
    title = "Sign-off refused"


class AlreadySignedOff(Conflict):
    """A valuation is signed off once."""

    code = "valuation.already_signed_off"
    title = "Sign-off refused"


@dataclass
class Valuation(Aggregate):
    """A stored valuation, the inputs that reproduce it, and its sign-off if any."""

    completed: ValuationCompleted
    inputs: Mapping[str, Any]
    signoff: SignOffRecord | None = None

    @classmethod
    def make(cls, completed: ValuationCompleted, inputs: Mapping[str, Any]) -> Valuation:
        """A new valuation, published as `valuation.completed`."""
        valuation = cls(completed, inputs)
        valuation.record(completed)
        return valuation

    @property
    def aggregate_id(self) -> str:
        """The valuation id."""
        return self.completed.valuation_id

    @property
    def valuation_id(self) -> str:
        """The valuation id."""
        return self.completed.valuation_id

    @property
    def effective_central(self) -> Decimal:
        """The central value in force: the appraiser's when signed off, the model's otherwise."""
        return self.signoff.after.central if self.signoff else self.completed.central

    @property
    def effective_rights(self) -> tuple[RightValue, ...]:
        """Per-right values in force, as `effective_central`."""
        return self.signoff.rights if self.signoff else self.completed.rights

    def sign_off(
        self,
        appraiser_id: str,
        reason: str | None,
        adjusted: ValueRange | None,
        now: datetime,
    ) -> SignOffRecord:
        """Approve the valuation as it stands, or adjust it to `adjusted` (with a reason)."""
        if self.completed.status != PROVISIONAL:
            raise NotProvisional(f"valuation {self.valuation_id} is {self.completed.status}")
        if self.signoff is not None:
            raise AlreadySignedOff(f"valuation {self.valuation_id} is signed off")
        signoff = self._decide(appraiser_id, reason, adjusted, now)
        self.signoff = signoff
        self.record(self._signed_off(signoff))
        return signoff

    def _decide(
        self, appraiser_id: str, reason: str | None, adjusted: ValueRange | None, now: datetime
    ) -> SignOffRecord:
        completed = self.completed
        before = ValueRange(completed.low, completed.central, completed.high)
        if adjusted is None:
            note = reason.strip() if reason and reason.strip() else None
            outcome, after, why = APPROVED, before, note
            rights, max_loan = completed.rights, completed.recommended_max_loan
        else:
            outcome, after, why = ADJUSTED, adjusted, require_reason(reason)
            rights = _adjusted_rights(completed.rights, after, why)
            weights = [(r.central, r.recommended_ltv) for r in completed.rights]
            max_loan = scaled_max_loan(weights, after.central)
        return SignOffRecord(
            valuation_id=completed.valuation_id,
            outcome=outcome,
            appraiser_id=appraiser_id,
            reason=why,
            before=before,
            after=after,
            recommended_max_loan=max_loan,
            rights=rights,
            signed_off_at=now,
        )

    def _signed_off(self, signoff: SignOffRecord) -> ValuationSignedOff:
        return ValuationSignedOff(
            valuation_id=self.valuation_id,
            reference=self.completed.reference,
            requested_by=self.completed.requested_by,
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
