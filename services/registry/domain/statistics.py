"""Figures of the registration desk over a set of filings."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from services.registry.domain.pledge import FilingStatus, PledgeFiling


@dataclass(frozen=True)
class DeskStatistics:
    """Counts, refusal grounds, time to decision and deadline compliance of some filings."""

    received: int
    registered: int
    refused: int
    pending: int
    refusals_by_reason: dict[str, int]
    median_seconds_to_decision: float | None
    p95_seconds_to_decision: float | None
    decided_within_deadline_share: float | None


def nearest_rank(values: Sequence[float], percentile: float) -> float:
    """The smallest value with at least `percentile` % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(math.ceil(percentile / 100 * len(ordered)), 1) - 1]


def desk_statistics(filings: Sequence[PledgeFiling]) -> DeskStatistics:
    """Figures over `filings`; a registered pledge cancelled since still counts as registered."""
    decided = [f for f in filings if f.decided_at is not None]
    seconds = [(f.decided_at - f.received_at).total_seconds() for f in decided if f.decided_at]
    on_time = [f for f in decided if f.decided_at and f.decided_at <= f.deadline_at]
    reasons = Counter(code for f in filings for code in f.refusal_codes)
    return DeskStatistics(
        received=len(filings),
        registered=sum(1 for f in filings if f.registration_number is not None),
        refused=sum(1 for f in filings if f.status is FilingStatus.REFUSED),
        pending=len(filings) - len(decided),
        refusals_by_reason=dict(sorted(reasons.items())),
        median_seconds_to_decision=statistics.median(seconds) if seconds else None,
        p95_seconds_to_decision=nearest_rank(seconds, 95) if seconds else None,
        decided_within_deadline_share=len(on_time) / len(decided) if decided else None,
    )
