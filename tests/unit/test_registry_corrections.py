"""What a correction may change, what an examiner may refuse on, and acknowledged warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, get_args

import pytest

from services.registry.domain.checks import CheckResult, RefusalCode
from services.registry.domain.corrections import CorrectableField
from services.registry.domain.decisions import DecisionAction, Reason
from services.registry.domain.errors import (
    AcknowledgementNotAWarning,
    AcknowledgementNoteMissing,
    ClaimedByOther,
    CorrectionConflictsWithLoan,
    CorrectionFieldsMissing,
    CorrectionNotCorrectable,
    CorrectionNotRequested,
    RefusalExplanationMissing,
    UnknownRefusalGround,
)
from services.registry.domain.events import FilingRefused, WarningsAcknowledged
from services.registry.domain.filing import Deadline, Party
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from services.registry.entrypoints.examination_schemas import CorrectableName
from tests.unit.test_registry_checks import PLEDGEE, PLEDGOR, UTILITY_NO, make_filing
from tests.unit.test_registry_examination import (
    ACKNOWLEDGED,
    DUE,
    LATER,
    RECEIVED,
    REFUSAL,
    WARNING,
    claimed,
    events,
)

OTHER_BANK = Party("Qingdao Rural Commercial Bank", "913702007180012344", "6 Hong Kong Road")


def awaiting(fields: list[str], channel: str = "api") -> PledgeFiling:
    filing = claimed("exa")
    filing.channel = channel
    filing.request_correction("exa", fields, "please correct", LATER)
    filing.collect_events()
    return filing


def correct(filing: PledgeFiling, **changes: Any) -> None:
    proposed = replace(filing.data, **changes)
    filing.correct(proposed, CheckResult((ACKNOWLEDGED,)), Deadline(DUE), LATER)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pledgee": OTHER_BANK}, "pledgee.name"),
        ({"pledgee": replace(PLEDGEE, uscc=OTHER_BANK.uscc)}, "pledgee.uscc"),
        ({"pledgor": replace(PLEDGOR, name="Another Co., Ltd.")}, "pledgor.name"),
        ({"patents": (UTILITY_NO,)}, "patents"),
        ({"trademarks": ("23456789",)}, "trademarks"),
    ],
)
def test_a_correction_never_changes_the_parties_or_the_rights(
    changes: dict[str, Any], field: str
) -> None:
    every_field = [f.value for f in CorrectableField]
    filing = awaiting(every_field)
    before = filing.data
    with pytest.raises(CorrectionNotCorrectable) as refused:
        correct(filing, **changes)
    assert field in [e["field"] for e in refused.value.errors]
    assert (filing.data, filing.status) == (before, FilingStatus.AWAITING_CORRECTION)
    assert events(filing) == []


def test_a_correction_changes_only_what_the_examiner_named() -> None:
    filing = awaiting(["scope_of_guarantee"])
    with pytest.raises(CorrectionNotRequested) as refused:
        correct(filing, secured_amount=Decimal("99999999.00"), scope_of_guarantee="principal")
    assert [e["field"] for e in refused.value.errors] == ["secured_amount"]
    assert filing.data.secured_amount == make_filing().secured_amount

    correct(filing, scope_of_guarantee="principal only", pledgor=replace(PLEDGOR))
    assert filing.data.scope_of_guarantee == "principal only"
    [corrected] = events(filing)
    assert corrected.changed == ("scope_of_guarantee",)  # type: ignore[attr-defined]


def test_a_later_request_replaces_what_may_be_corrected() -> None:
    filing = awaiting(["secured_amount"])
    correct(filing, secured_amount=Decimal("400000.00"))
    filing.request_correction("exa", ["pledgor.address"], "state the registered address", LATER)
    with pytest.raises(CorrectionNotRequested):
        correct(filing, secured_amount=Decimal("500000.00"))
    correct(filing, pledgor=replace(PLEDGOR, address="1 New Road, Shanghai"))
    assert (filing.data.secured_amount, filing.data.pledgor.address) == (
        Decimal("400000.00"),
        "1 New Road, Shanghai",
    )


def test_a_filing_credit_sent_keeps_the_loans_amount_and_deadline() -> None:
    filing = claimed("exa")
    filing.channel = "credit"
    for field in ("secured_amount", "performance_deadline"):
        with pytest.raises(CorrectionConflictsWithLoan):
            filing.request_correction("exa", [field, "debt_type"], "fix", LATER)
    assert filing.status is FilingStatus.IN_EXAMINATION

    filing = awaiting(["debt_type"], channel="credit")
    filing.decisions[-1] = replace(filing.decisions[-1], fields=("secured_amount",))
    with pytest.raises(CorrectionConflictsWithLoan):
        correct(filing, secured_amount=Decimal("99999999.00"))
    with pytest.raises(CorrectionConflictsWithLoan):
        correct(filing, performance_deadline=date(2028, 1, 1))


def test_a_request_names_correctable_fields() -> None:
    filing = claimed("exa")
    with pytest.raises(CorrectionFieldsMissing):
        filing.request_correction("exa", [], "fix", LATER)
    with pytest.raises(CorrectionNotCorrectable):
        filing.request_correction("exa", ["pledgee.uscc"], "fix", LATER)
    assert filing.status is FilingStatus.IN_EXAMINATION
    assert set(get_args(CorrectableName)) == {f.value for f in CorrectableField}


def test_acknowledgements_survive_a_correction_that_omits_them() -> None:
    filing = claimed("exa", WARNING)
    filing.acknowledge("exa", [WARNING.code], "confirmed by letter", LATER)
    filing.request_correction("exa", ["debt_type"], "name the debt", LATER)
    correct(filing, debt_type="working-capital loan", acknowledged=frozenset())
    assert filing.data.acknowledged == {WARNING.code}


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        (Reason("made.up_reason", "because"), UnknownRefusalGround),
        (Reason("trademark.similar_marks_possible", "doubtful"), UnknownRefusalGround),
        (Reason("other", "   "), RefusalExplanationMissing),
    ],
)
def test_an_examiner_refuses_only_on_statutory_grounds(
    reason: Reason, error: type[Exception]
) -> None:
    filing = claimed("exa")
    with pytest.raises(error):
        filing.refuse(LATER, "exa", [Reason("right.frozen", "frozen by a court"), reason])
    assert filing.status is FilingStatus.IN_EXAMINATION
    assert events(filing) == []


def test_a_refusal_names_its_grounds_for_the_bank() -> None:
    filing = claimed("exa", WARNING)
    explained = Reason("other", "The contract is signed by an unauthorised person.")
    filing.refuse(LATER, "exa", [Reason(RefusalCode.CONTRACT_INCOMPLETE, "no scope"), explained])
    [refused] = events(filing)
    assert isinstance(refused, FilingRefused)
    assert [(g.code, g.message) for g in refused.grounds] == [
        ("contract.incomplete", "no scope"),
        ("other", explained.message),
    ]

    automatic = claimed("exa")
    automatic.assess(CheckResult((REFUSAL, WARNING)), LATER)
    [refused] = [e for e in events(automatic) if isinstance(e, FilingRefused)]
    assert [g.code for g in refused.grounds] == [REFUSAL.code]


def test_the_examiner_records_the_parties_acknowledgement() -> None:
    filing = claimed("exa", WARNING)
    with pytest.raises(ClaimedByOther):
        filing.acknowledge("exb", [WARNING.code], "by phone", LATER)
    with pytest.raises(AcknowledgementNotAWarning):
        filing.acknowledge("exa", ["right.frozen"], "by phone", LATER)
    with pytest.raises(AcknowledgementNoteMissing):
        filing.acknowledge("exa", [WARNING.code], " ", LATER)

    filing.acknowledge("exa", [WARNING.code], "signed statements of 2 March", LATER)

    assert [f.acknowledged for f in filing.findings] == [True]
    decision = filing.decisions[-1]
    assert (decision.action, decision.acknowledged, decision.message) == (
        DecisionAction.WARNINGS_ACKNOWLEDGED,
        (WARNING.code,),
        "signed statements of 2 March",
    )
    [acknowledged] = events(filing)
    assert isinstance(acknowledged, WarningsAcknowledged)
    assert (acknowledged.acknowledged_by, acknowledged.codes) == ("exa", (WARNING.code,))
    filing.acknowledge("exa", [WARNING.code], "again", LATER)
    assert events(filing) == []
    filing.register("Y2026000001", LATER, "exa")
    assert filing.status is FilingStatus.REGISTERED


def test_every_event_of_a_filing_belongs_to_the_case_it_arrived_in() -> None:
    filing = PledgeFiling.receive(
        filing_id="f-2",
        filing_reference="loan-2",
        channel="credit",
        data=make_filing(),
        received_at=RECEIVED,
        deadline=Deadline(DUE),
        correlation_id="case-of-loan-2",
    )
    assert filing.case_id == "case-of-loan-2"
