"""The collateral of a disbursed loan, followed until its pledge is released.

Valuation follows the rights its valuation of the loan valued. When one of them becomes unusable
or nears the end of its term, the loan's collateral is revalued and `valuation.impaired` is
published, keyed by the loan reference and numbered by this aggregate's own version; each
(right, reason) impairs a loan once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from services.valuation.domain.events import RightValue, ValuationImpaired
from services.valuation.domain.model import ZERO, to_fen
from services.valuation.domain.valuation import Valuation
from shared.kernel.events import Aggregate


@dataclass(frozen=True)
class Impairment:
    """A pledged right found unusable or near its term's end, and the revaluation it caused."""

    right_number: str
    reason: str
    valuation_id: str
    previous_central: Decimal
    new_central: Decimal
    detected_at: datetime


@dataclass
class LoanCollateral(Aggregate):
    """The rights pledged for one loan and the valuation their value now rests on."""

    loan_reference: str
    valuation_id: str
    rights: tuple[str, ...]  # in number order
    pledged_at: datetime
    released: bool = False
    impairments: tuple[Impairment, ...] = ()

    @classmethod
    def follow(cls, loan_reference: str, valuation: Valuation, now: datetime) -> LoanCollateral:
        """Follow the rights `valuation` valued, from the loan's disbursement."""
        rights = tuple(sorted({right.number for right in valuation.completed.rights}))
        return cls(loan_reference, valuation.valuation_id, rights, now)

    @property
    def aggregate_id(self) -> str:
        """The loan reference."""
        return self.loan_reference

    def release(self) -> None:
        """Stop following the rights: the pledge is released or the loan repaid."""
        self.rights = ()
        self.released = True

    def impaired_by(self, right_number: str, reason: str) -> bool:
        """Whether a followed right, weakened for `reason`, impairs the loan anew."""
        if self.released or right_number not in self.rights:
            return False
        return not any(
            (found.right_number, found.reason) == (right_number, reason)
            for found in self.impairments
        )

    def impair(
        self,
        right_number: str,
        reason: str,
        basis: Valuation,
        revaluation: Valuation,
        now: datetime,
    ) -> ValuationImpaired:
        """Rest the loan's value on `revaluation` of `basis`, and report the impairment."""
        if not self.impaired_by(right_number, reason):
            raise ValueError(f"{right_number} ({reason}) does not impair {self.loan_reference}")
        if basis.valuation_id != self.valuation_id:
            raise ValueError(f"the value of {self.loan_reference} rests on {self.valuation_id}")
        made = revaluation.completed
        impaired = ValuationImpaired(
            loan_reference=self.loan_reference,
            right_number=right_number,
            reason=reason,
            previous_central=basis.effective_central,
            new_central=made.central,
            valuation_id=made.valuation_id,
            detected_at=now,
            previous_right_central=_central_of(basis.effective_rights, right_number),
            new_right_central=_central_of(made.rights, right_number),
        )
        self.impairments = (
            *self.impairments,
            Impairment(
                right_number,
                reason,
                made.valuation_id,
                impaired.previous_central,
                made.central,
                now,
            ),
        )
        self.valuation_id = made.valuation_id
        self.record(impaired)
        return impaired


def _central_of(rights: Sequence[RightValue], number: str) -> Decimal:
    return next((r.central for r in rights if r.number == number), to_fen(ZERO))
