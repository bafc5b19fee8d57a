"""The desk's figures: outcomes, refusal grounds, median and p95 time, deadlines met."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.registry.domain.checks import CheckResult, Finding, RefusalCode, Severity
from services.registry.domain.decisions import Reason
from services.registry.domain.filing import Deadline
from services.registry.domain.pledge import PledgeFiling
from services.registry.domain.statistics import desk_statistics, nearest_rank
from tests.unit.test_registry_checks import PATENT_NO, make_filing
from tests.unit.test_registry_examination import ACKNOWLEDGED, DUE, RECEIVED

FROZEN = Finding(RefusalCode.RIGHT_FROZEN, PATENT_NO, "frozen", Severity.REFUSAL)
UNPAID = Finding(RefusalCode.PATENT_FEES_UNPAID, PATENT_NO, "unpaid", Severity.REFUSAL)


def received(*findings: Finding) -> PledgeFiling:
    filing = PledgeFiling.receive(
        filing_id="f",
        filing_reference=None,
        channel="api",
        data=make_filing(),
        received_at=RECEIVED,
        deadline=Deadline(DUE),
    )
    filing.assess(CheckResult(findings), RECEIVED)
    return filing


def decided_by_examiner(after: timedelta, register: bool) -> PledgeFiling:
    filing = received(ACKNOWLEDGED)
    filing.claim("exa", RECEIVED)
    if register:
        filing.register("Y1", RECEIVED + after, "exa")
    else:
        filing.refuse(
            RECEIVED + after,
            "exa",
            [Reason("other", "The pledge contract is signed by an unauthorised person.")],
        )
    return filing


@pytest.mark.parametrize(
    ("values", "p95"), [([5.0], 5.0), ([1.0, 2.0, 3.0, 4.0], 4.0), (list(range(1, 101)), 95)]
)
def test_p95_is_the_nearest_rank(values: list[float], p95: float) -> None:
    assert nearest_rank(values, 95) == p95


def test_figures_of_a_known_set() -> None:
    green = received()
    green.register("Y0", RECEIVED)
    filings = [
        green,
        received(FROZEN, UNPAID),
        decided_by_examiner(timedelta(hours=2), register=True),
        decided_by_examiner(timedelta(days=3), register=False),
        received(ACKNOWLEDGED),
    ]

    figures = desk_statistics(filings)

    assert (figures.received, figures.registered, figures.refused, figures.pending) == (5, 2, 2, 1)
    assert figures.refusals_by_reason == {
        "other": 1,
        "patent.fees_unpaid": 1,
        "right.frozen": 1,
    }
    assert figures.median_seconds_to_decision == 3600.0
    assert figures.p95_seconds_to_decision == 3 * 86400.0
    assert figures.decided_within_deadline_share == 0.75


def test_no_filings_no_figures() -> None:
    figures = desk_statistics([])
    assert (figures.received, figures.median_seconds_to_decision) == (0, None)
    assert figures.decided_within_deadline_share is None
