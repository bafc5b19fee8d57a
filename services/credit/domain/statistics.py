"""Lending statistics over a period: what was disbursed, to whom, how fast, and why declined."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

RATIO = Decimal("0.0001")


@dataclass(frozen=True)
class DisbursedLoan:
    enterprise_uscc: str
    amount: Decimal
    inclusive: bool
    submitted_at: datetime
    disbursed_at: datetime


@dataclass(frozen=True)
class LendingStatistics:
    loans_disbursed: int
    amount_disbursed: Decimal
    enterprises: int
    inclusive_loans: int
    inclusive_amount: Decimal
    inclusive_share_by_count: Decimal | None
    inclusive_share_by_amount: Decimal | None
    average_seconds_to_disbursement: float | None
    decline_reasons: dict[str, int] = field(default_factory=dict)


def reason_code(reason: str) -> str:
    """The code of a reason without the right it names (`collateral.unusable:CN…:x` → code)."""
    return reason.split(":", 1)[0]


def lending_statistics(
    disbursed: Iterable[DisbursedLoan], declined_reasons: Iterable[Iterable[str]]
) -> LendingStatistics:
    """Counts, amounts, inclusive shares, speed, and decline reasons counted once per loan."""
    loans = list(disbursed)
    amount = sum((loan.amount for loan in loans), Decimal("0.00"))
    inclusive = [loan for loan in loans if loan.inclusive]
    inclusive_amount = sum((loan.amount for loan in inclusive), Decimal("0.00"))
    reasons: Counter[str] = Counter()
    for loan_reasons in declined_reasons:
        reasons.update({reason_code(r) for r in loan_reasons})
    seconds = [(loan.disbursed_at - loan.submitted_at).total_seconds() for loan in loans]
    return LendingStatistics(
        loans_disbursed=len(loans),
        amount_disbursed=amount,
        enterprises=len({loan.enterprise_uscc for loan in loans}),
        inclusive_loans=len(inclusive),
        inclusive_amount=inclusive_amount,
        inclusive_share_by_count=_ratio(Decimal(len(inclusive)), Decimal(len(loans))),
        inclusive_share_by_amount=_ratio(inclusive_amount, amount),
        average_seconds_to_disbursement=round(sum(seconds) / len(seconds), 3) if seconds else None,
        decline_reasons=dict(sorted(reasons.items())),
    )


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole).quantize(RATIO, ROUND_HALF_UP) if whole else None
