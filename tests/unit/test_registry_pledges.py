"""A registered pledge's change and cancellation, and recordals barred by a pledge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.registry.domain.amendments import AmendmentKind, CancellationReason, PledgeChange
from services.registry.domain.checks import CheckResult, check_change
from services.registry.domain.errors import (
    ChangeRefused,
    NothingToChange,
    PledgedWithoutConsent,
    PledgeNotActive,
)
from services.registry.domain.events import PledgeCancelled, PledgeChanged
from services.registry.domain.filing import Deadline, Party, PledgeFilingData
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from services.registry.domain.recordal import Recordal, RecordalKind
from services.registry.domain.register import Holder
from tests.unit.test_registry_checks import (
    INVENTION,
    MARK,
    ON,
    PLEDGEE,
    STRANGER,
    make_filing,
)

NOW = datetime(2024, 3, 15, 6, 0, tzinfo=UTC)
NEW_PLEDGOR = Party(STRANGER.name, STRANGER.uscc, "1 Wensan Road, Hangzhou")


def registered(data: PledgeFilingData | None = None) -> PledgeFiling:
    filing = PledgeFiling.receive(
        filing_id="f-9",
        filing_reference="loan-9",
        channel="credit",
        data=data or make_filing(),
        received_at=NOW,
        deadline=Deadline(NOW + timedelta(days=1)),
    )
    filing.assess(CheckResult(()), NOW)
    filing.register("Y2024000009", NOW)
    filing.collect_events()
    return filing


def recheck(data: PledgeFilingData, *changed: str) -> CheckResult:
    return check_change(data, changed, {INVENTION.number: INVENTION}, {MARK.number: MARK}, ON)


def test_a_change_names_only_the_terms_that_differ() -> None:
    data = make_filing()
    change = PledgeChange(secured_amount=Decimal("1.00"), pledgee=PLEDGEE)
    after, changed = change.apply_to(data)
    assert changed == ("secured_amount",)
    assert after.secured_amount == Decimal("1.00")
    assert after.patents == data.patents


def test_a_clean_change_is_entered_and_announced() -> None:
    filing = registered()
    change = PledgeChange(performance_deadline=date(2027, 1, 31))
    filing.change(change, recheck(change.apply_to(filing.data)[0], "performance_deadline"), NOW)
    assert filing.data.performance_deadline == date(2027, 1, 31)
    assert [(a.kind, a.changed) for a in filing.amendments] == [
        (AmendmentKind.CHANGE, ("performance_deadline",))
    ]
    [(_, event)] = filing.collect_events()
    assert isinstance(event, PledgeChanged)
    assert (event.registration_number, event.changed) == ("Y2024000009", ("performance_deadline",))


def test_the_new_deadline_is_checked_against_every_rights_term() -> None:
    data = make_filing(performance_deadline=INVENTION.term_end + timedelta(days=1))
    assert [f.code for f in recheck(data).findings] == ["deadline.beyond_term"]
    both = make_filing(trademarks=(MARK.number,), performance_deadline=date(2031, 1, 1))
    assert [(f.code, f.right) for f in recheck(both).findings] == [
        ("deadline.beyond_term", MARK.number)
    ]


def test_a_new_pledgor_must_hold_every_right() -> None:
    data = make_filing(pledgor=NEW_PLEDGOR, trademarks=(MARK.number,))
    codes = [f.code for f in recheck(data, "pledgor").findings]
    assert codes == ["pledgor.not_patentee", "pledgor.not_owner"]
    assert recheck(data, "secured_amount").findings == ()


def test_a_refused_or_empty_change_leaves_the_pledge_as_it_was() -> None:
    filing = registered()
    change = PledgeChange(pledgor=NEW_PLEDGOR)
    result = recheck(change.apply_to(filing.data)[0], "pledgor")
    with pytest.raises(ChangeRefused) as refused:
        filing.change(change, result, NOW)
    assert refused.value.errors[0]["code"] == "pledgor.not_patentee"
    with pytest.raises(NothingToChange):
        filing.change(PledgeChange(secured_amount=filing.data.secured_amount), CheckResult(()), NOW)
    assert filing.data == make_filing()
    assert filing.amendments == []
    assert filing.collect_events() == []


def test_cancellation_ends_the_pledge_once() -> None:
    filing = registered()
    filing.cancel(CancellationReason.PLEDGE_ENFORCED, NOW)
    assert filing.status is FilingStatus.CANCELLED
    assert (filing.cancelled_at, filing.cancellation_reason) == (
        NOW,
        CancellationReason.PLEDGE_ENFORCED,
    )
    [(_, event)] = filing.collect_events()
    assert isinstance(event, PledgeCancelled)
    assert (event.reason, event.patents) == ("pledge_enforced", (INVENTION.number,))
    with pytest.raises(PledgeNotActive):
        filing.cancel(CancellationReason.DEBT_REPAID, NOW)
    with pytest.raises(PledgeNotActive):
        filing.change(PledgeChange(secured_amount=Decimal("5.00")), CheckResult(()), NOW)


def test_only_a_registered_pledge_can_be_cancelled() -> None:
    filing = PledgeFiling.receive(
        filing_id="f-10",
        filing_reference=None,
        channel="api",
        data=make_filing(),
        received_at=NOW,
        deadline=Deadline(NOW),
    )
    with pytest.raises(PledgeNotActive):
        filing.cancel(CancellationReason.DEBT_REPAID, NOW)


def recordal(kind: RecordalKind, pledged_under: str | None, consent: bool) -> Recordal:
    return Recordal(
        recordal_id="r-1",
        kind=kind,
        right_number=INVENTION.number,
        parties=(Holder(STRANGER.name, STRANGER.uscc),),
        pledgee_consent=consent,
        recorded_at=NOW,
        pledge_registration_number=pledged_under,
    )


@pytest.mark.parametrize("kind", list(RecordalKind))
def test_a_pledged_patent_needs_the_pledgees_consent(kind: RecordalKind) -> None:
    with pytest.raises(PledgedWithoutConsent, match="Y2024000009"):
        recordal(kind, "Y2024000009", consent=False)
    assert recordal(kind, "Y2024000009", consent=True).pledgee_consent
    assert not recordal(kind, None, consent=False).pledgee_consent


def test_a_transfer_changes_the_holders_and_a_licence_does_not() -> None:
    transferred = recordal(RecordalKind.TRANSFER, None, False).apply_to(INVENTION)
    licensed = recordal(RecordalKind.LICENCE, None, False).apply_to(INVENTION)
    assert transferred.holder_usccs() == (STRANGER.uscc,)
    assert licensed == INVENTION
