"""Examiner's decisions on a pledge filing: claims, who may decide, corrections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.registry.domain.checks import CheckResult, Finding, RefusalCode, Severity
from services.registry.domain.decisions import DecisionAction, Reason
from services.registry.domain.errors import (
    AcknowledgementMissing,
    ClaimedByOther,
    NotAwaitingCorrection,
    NotClaimed,
    NotInExamination,
    RefusalReasonsMissing,
)
from services.registry.domain.events import (
    CorrectionRequested,
    FilingClaimed,
    FilingCorrected,
    FilingRefused,
    PledgeRegistered,
    SlaBreached,
)
from services.registry.domain.filing import Deadline
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from tests.unit.test_registry_checks import PATENT_NO, make_filing

RECEIVED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
LATER = RECEIVED + timedelta(hours=3)
WARNING = Finding(
    RefusalCode.PATENT_INVALIDATION_PENDING, PATENT_NO, "invalidation pending", Severity.WARNING
)
ACKNOWLEDGED = replace(WARNING, acknowledged=True)
REFUSAL = Finding(RefusalCode.RIGHT_FROZEN, PATENT_NO, "frozen", Severity.REFUSAL)


def in_examination(*findings: Finding) -> PledgeFiling:
    filing = PledgeFiling.receive(
        filing_id="f-1",
        filing_reference="loan-1",
        channel="api",
        data=make_filing(),
        received_at=RECEIVED,
        deadline=Deadline(DUE),
    )
    filing.assess(CheckResult(findings or (ACKNOWLEDGED,)), RECEIVED)
    filing.collect_events()
    assert filing.status is FilingStatus.IN_EXAMINATION
    return filing


def claimed(examiner: str = "exa", *findings: Finding) -> PledgeFiling:
    filing = in_examination(*findings)
    filing.claim(examiner, RECEIVED)
    filing.collect_events()
    return filing


def events(filing: PledgeFiling) -> list[object]:
    return [event for _, event in filing.collect_events()]


def test_claim_records_the_examiner_and_announces_it() -> None:
    filing = in_examination()
    filing.claim("exa", LATER)
    assert filing.claimed_by == "exa"
    assert [(d.action, d.examiner, d.at) for d in filing.decisions] == [
        (DecisionAction.CLAIMED, "exa", LATER)
    ]
    assert events(filing) == [FilingClaimed("f-1", "loan-1", "exa", LATER, DUE)]


def test_claiming_ones_own_filing_again_changes_nothing() -> None:
    filing = claimed("exa")
    filing.claim("exa", LATER)
    assert events(filing) == []
    assert len(filing.decisions) == 1


def test_another_examiners_filing_cannot_be_claimed() -> None:
    filing = claimed("exa")
    with pytest.raises(ClaimedByOther):
        filing.claim("exb", LATER)
    assert filing.claimed_by == "exa"


@pytest.mark.parametrize(
    "decide",
    [
        lambda f, who: f.register("Y2026000001", LATER, who),
        lambda f, who: f.refuse(LATER, who, [Reason("contract.incomplete", "no scope")]),
        lambda f, who: f.request_correction(who, ["scope_of_guarantee"], "state the scope", LATER),
    ],
    ids=["register", "refuse", "request-correction"],
)
def test_only_the_claiming_examiner_decides(decide: Callable[[PledgeFiling, str], None]) -> None:
    with pytest.raises(NotClaimed):
        decide(in_examination(), "exa")
    filing = claimed("exa")
    with pytest.raises(ClaimedByOther):
        decide(filing, "exb")
    assert filing.status is FilingStatus.IN_EXAMINATION
    assert events(filing) == []


def test_a_decided_filing_is_no_longer_in_examination() -> None:
    filing = claimed("exa")
    filing.register("Y2026000001", LATER, "exa")
    with pytest.raises(NotInExamination):
        filing.refuse(LATER, "exa", [Reason("other", "y")])
    with pytest.raises(NotInExamination):
        filing.claim("exb", LATER)


def test_examiner_registration_is_attributed() -> None:
    filing = claimed("exa")
    filing.register("Y2026000001", LATER, "exa")
    [registered] = events(filing)
    assert isinstance(registered, PledgeRegistered)
    assert registered.decided_by == "exa"
    assert registered.within_deadline
    assert filing.decided_by == "exa"
    assert filing.decisions[-1].action is DecisionAction.REGISTERED


def test_an_unacknowledged_warning_blocks_registration() -> None:
    filing = claimed("exa", WARNING)
    with pytest.raises(AcknowledgementMissing, match=r"patent\.invalidation_pending"):
        filing.register("Y2026000001", LATER, "exa")
    assert filing.status is FilingStatus.IN_EXAMINATION
    assert filing.registration_number is None


def test_refusal_needs_reasons_and_carries_them() -> None:
    filing = claimed("exa")
    with pytest.raises(RefusalReasonsMissing):
        filing.refuse(LATER, "exa", [])
    reason = Reason("contract.incomplete", "The scope of guarantee is ambiguous.")
    filing.refuse(LATER, "exa", [reason])
    [refused] = events(filing)
    assert isinstance(refused, FilingRefused)
    assert (refused.decided_by, refused.reasons) == ("exa", (reason,))
    assert [f.code for f in refused.findings] == [reason.code, WARNING.code]
    assert filing.decisions[-1].reasons == (reason,)
    assert filing.status is FilingStatus.REFUSED


def test_a_correction_suspends_and_restarts_the_clock() -> None:
    filing = claimed("exa", WARNING)
    filing.request_correction("exa", ["acknowledgements"], "acknowledge the invalidation", LATER)
    assert filing.status is FilingStatus.AWAITING_CORRECTION
    assert isinstance(events(filing)[0], CorrectionRequested)
    corrected_at = datetime(2026, 3, 6, 12, 30, tzinfo=UTC)
    new_due = Deadline(datetime(2026, 3, 9, 16, 0, tzinfo=UTC))
    data = make_filing(acknowledged=frozenset({WARNING.code}), filed_on=date(2026, 3, 6))

    filing.correct(data, CheckResult((ACKNOWLEDGED,)), new_due, corrected_at)

    assert filing.status is FilingStatus.IN_EXAMINATION
    assert (filing.deadline_at, filing.corrected_at) == (new_due.at, corrected_at)
    assert filing.claimed_by == "exa"
    assert filing.data == replace(data, filed_on=make_filing().filed_on)
    [corrected] = events(filing)
    assert isinstance(corrected, FilingCorrected)
    assert (corrected.deadline_at, corrected.changed) == (new_due.at, ("acknowledgements",))
    filing.register("Y2026000002", corrected_at, "exa")
    assert filing.status is FilingStatus.REGISTERED


def test_a_correction_with_a_refusal_ground_is_refused() -> None:
    filing = claimed("exa")
    filing.request_correction("exa", ["debt_type"], "fix it", LATER)
    filing.collect_events()
    filing.correct(make_filing(), CheckResult((REFUSAL,)), Deadline(DUE), LATER)
    assert filing.status is FilingStatus.REFUSED
    assert [type(e) for e in events(filing)] == [FilingCorrected, FilingRefused]
    assert filing.decided_by is None


def test_a_correction_nobody_asked_for_is_refused() -> None:
    with pytest.raises(NotAwaitingCorrection):
        claimed().correct(make_filing(), CheckResult(()), Deadline(DUE), LATER)


def test_a_breach_is_announced_once_and_only_past_the_deadline() -> None:
    filing = claimed("exa")
    assert not filing.flag_sla_breach(DUE)
    late = DUE + timedelta(minutes=1)
    assert filing.overdue(late)
    assert filing.flag_sla_breach(late)
    assert not filing.flag_sla_breach(late + timedelta(hours=1))
    [breached] = events(filing)
    assert isinstance(breached, SlaBreached)
    assert (breached.deadline_at, breached.breached_at, breached.claimed_by) == (DUE, late, "exa")
    assert filing.sla_breached_at == late


def test_no_breach_while_a_correction_is_awaited_or_once_decided() -> None:
    late = DUE + timedelta(days=3)
    waiting = claimed("exa")
    waiting.request_correction("exa", ["debt_type"], "fix", LATER)
    decided = claimed("exa")
    decided.register("Y2026000001", LATER, "exa")
    for filing in (waiting, decided):
        assert not filing.overdue(late)
        assert not filing.flag_sla_breach(late)
        assert filing.sla_breached_at is None
