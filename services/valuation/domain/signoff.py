"""Appraiser sign-off: which valuations need it, and how an adjusted range spreads over rights."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from services.valuation.domain.model import DECIMAL_CONTEXT, ZERO, to_fen
from shared.kernel.errors import Invalid

FINAL = "final"
PROVISIONAL = "provisional"
APPROVED = "approved"
ADJUSTED = "adjusted"


class SignOffRefused(Invalid):
    """A sign-off whose content the rules do not allow; `code` is stable and machine-readable."""

    title = "The sign-off breaks a rule"

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail, code=code)


@dataclass(frozen=True)
class ValueRange:
    """A value range in yuan to the fen with 0 <= low <= central <= high."""

    low: Decimal
    central: Decimal
    high: Decimal

    def __post_init__(self) -> None:
        if not ZERO <= self.low <= self.central <= self.high:
            raise SignOffRefused("range.unordered", f"need 0 <= low <= central <= high, got {self}")
        if any(to_fen(amount) != amount for amount in (self.low, self.central, self.high)):
            raise SignOffRefused("range.not_fen", "amounts are yuan with at most two decimals")


def signoff_status(central: Decimal, threshold: Decimal) -> str:
    """A valuation whose central value exceeds the threshold waits for an appraiser."""
    return PROVISIONAL if central > threshold else FINAL


def require_reason(reason: str | None) -> str:
    """The appraiser's reason for an adjustment; an adjustment without one is refused."""
    if reason is None or not reason.strip():
        raise SignOffRefused("signoff.reason_required", "an adjustment needs a reason")
    return reason.strip()


def allocate_pro_rata(total: Decimal, weights: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """Split `total` to the fen in proportion to `weights` (largest remainder, ties by order).

    The shares sum exactly to `total`; equal weights are used when the weights sum to zero.
    """
    fen = int(to_fen(total).scaleb(2))
    if fen < 0 or any(w < ZERO for w in weights):
        raise ValueError("totals and weights must not be negative")
    if not weights:
        if fen:
            raise ValueError("nothing to allocate to")
        return ()
    exact_weights = [Fraction(w) for w in weights]
    if sum(exact_weights) == 0:
        exact_weights = [Fraction(1)] * len(weights)
    whole = sum(exact_weights)
    exact = [fen * w / whole for w in exact_weights]
    shares = [math.floor(x) for x in exact]
    left = fen - sum(shares)
    by_remainder = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return tuple(Decimal(share).scaleb(-2) for share in shares)


def spread_range(parts: Sequence[ValueRange], target: ValueRange) -> tuple[ValueRange, ...]:
    """Spread `target` over `parts` pro rata to their central values.

    Centrals, lows and highs each sum exactly to the target's, and every part keeps
    low <= central <= high.
    """
    centrals = allocate_pro_rata(target.central, [p.central for p in parts])
    downside = allocate_pro_rata(target.central - target.low, centrals)
    upside_weights = centrals if any(centrals) else tuple(p.central for p in parts)
    upside = allocate_pro_rata(target.high - target.central, upside_weights)
    return tuple(
        ValueRange(central - down, central, central + up)
        for central, down, up in zip(centrals, downside, upside, strict=True)
    )


def scaled_max_loan(rights: Sequence[tuple[Decimal, Decimal]], central: Decimal) -> Decimal:
    """The maximum loan on `central` at the central-weighted loan-to-value of (central, ltv)."""
    weight = sum((value for value, _ in rights), ZERO)
    if weight <= ZERO:
        return to_fen(ZERO)
    with localcontext(DECIMAL_CONTEXT):
        loan = sum((value * ltv for value, ltv in rights), ZERO)
        return to_fen(central * loan / weight)
