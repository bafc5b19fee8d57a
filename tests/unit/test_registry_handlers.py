"""The registry's handlers through its message bus, on in-memory storage: filings received and
the examiner's desk in milliseconds; the deadline watch, pledges and the calendar are in
test_registry_pledge_and_calendar_handlers.py.

What needs PostgreSQL (racing filings and examiners, replicas, the real migrations and the
HTTP wiring) is tested in tests/integration; the fake used here is held to PostgreSQL's
behaviour by the contract tests in tests/contract/test_registry_*.py. The HTTP answers to the
same commands are tested on the same fakes in test_registry_*_api.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.registry.domain.decisions import Reason
from services.registry.domain.pledge import FilingStatus
from services.registry.domain.register import Holder
from services.registry.service_layer import examination
from shared.identifiers import make_uscc
from shared.kernel.errors import NotFound
from shared.kernel.messages import Command
from shared.workdays import BEIJING, end_of_beijing_day
from tests.unit.registry_bus import (
    OTHER_BANK,
    PATENT,
    PLEDGEE,
    SECOND,
    START,
    WARNING,
    Desk,
    desk,
    filing_data,
    instant,
    patent,
    patent_number,
    refused,
)

__all__ = ["desk"]


# Receiving filings


async def test_a_clean_filing_is_registered_at_once_and_entered_in_the_register(
    desk: Desk,
) -> None:
    await desk.record(patent())

    filed = await desk.file(filing_data())

    assert (filed.status, filed.registration_number) == (FilingStatus.REGISTERED, "Y2026000001")
    assert filed.decided_at == filed.received_at == START
    assert filed.deadline_at == end_of_beijing_day(date(2026, 3, 3))
    assert await desk.held(PATENT) == {PATENT: "Y2026000001"}
    assert desk.gazette() == [("registration", PATENT, "Y2026000001")]
    received, registered = [e for e in desk.events() if e.aggregate_id == filed.filing_id]
    assert [(e.event_type, e.aggregate_version) for e in (received, registered)] == [
        ("registry.filing.received", 1),
        ("registry.pledge.registered", 2),
    ]
    assert {received.correlation_id, registered.correlation_id} == {"case-1"}
    assert registered.payload["registration_number"] == "Y2026000001"
    assert registered.payload["patents"] == [PATENT]
    assert registered.payload["secured_amount"] == "300000.00"
    assert registered.payload["pledgee"]["uscc"] == PLEDGEE.uscc
    assert (registered.payload["within_deadline"], registered.payload["decided_by"]) == (
        True,
        None,
    )


async def test_registration_numbers_run_on_within_a_year_and_start_again_in_the_next(
    desk: Desk,
) -> None:
    numbers = []
    for serial in range(3):
        number = patent_number(serial + 100)
        await desk.record(patent(number))
        numbers.append((await desk.file(filing_data(number))).registration_number)
    desk.clock.set(datetime(2027, 1, 6, 10, tzinfo=BEIJING))
    await desk.record(patent(SECOND, fees_paid_through=date(2028, 1, 1)))
    next_year = await desk.file(filing_data(SECOND, filed_on=date(2027, 1, 6)))

    assert numbers == ["Y2026000001", "Y2026000002", "Y2026000003"]
    assert next_year.registration_number == "Y2027000001"


async def test_a_filing_is_refused_on_every_ground_found(desk: Desk) -> None:
    stranger = Holder("Ningbo Mould Works Co., Ltd.", make_uscc(8))
    await desk.record(patent(holders=(stranger,), frozen=True))

    beyond_term = await desk.file(filing_data(performance_deadline=date(2039, 3, 1)))
    unknown = await desk.file(filing_data(SECOND))

    assert beyond_term.status is FilingStatus.REFUSED
    assert beyond_term.registration_number is None
    assert {(f.code, f.right) for f in beyond_term.findings} == {
        ("pledgor.not_patentee", PATENT),
        ("right.frozen", PATENT),
        ("deadline.beyond_term", PATENT),
    }
    assert [(f.code, f.right) for f in unknown.findings] == [("right.unknown", SECOND)]
    [first, second] = desk.events("registry.filing.refused")
    assert first.aggregate_id == beyond_term.filing_id
    assert {g["code"] for g in first.payload["grounds"]} == {
        "pledgor.not_patentee",
        "right.frozen",
        "deadline.beyond_term",
    }
    assert [g["code"] for g in second.payload["grounds"]] == ["right.unknown"]
    assert await desk.held(PATENT, SECOND) == {}
    assert desk.gazette() == []


@pytest.mark.parametrize("acknowledged", [False, True], ids=["unacknowledged", "acknowledged"])
async def test_a_warning_sends_the_filing_to_an_examiner(desk: Desk, acknowledged: bool) -> None:
    await desk.record(patent(invalidation_pending=True))

    filed = await desk.file(
        filing_data(acknowledged=frozenset({WARNING}) if acknowledged else frozenset())
    )

    assert (filed.status, filed.registration_number) == (FilingStatus.IN_EXAMINATION, None)
    [finding] = filed.findings
    assert (finding.code, finding.severity, finding.acknowledged) == (
        WARNING,
        "warning",
        acknowledged,
    )
    [queued] = desk.events("registry.filing.queued_for_examination")
    assert queued.aggregate_id == filed.filing_id
    assert queued.payload["findings"][0]["code"] == WARNING
    assert desk.events("registry.pledge.registered") == []
    assert await desk.held(PATENT) == {}


async def test_a_bank_files_as_the_pledgee_only(desk: Desk) -> None:
    await desk.record(patent())
    someone_else = replace(PLEDGEE, uscc=OTHER_BANK)

    refusal = await refused(desk.file(filing_data(pledgee=someone_else)))

    assert refusal.code == "filing.pledgee_not_caller"
    assert desk.database.filings.values() == []
    assert desk.kinds(PATENT) == ["registry.patent.recorded"]


async def test_a_filing_credit_sends_again_is_the_same_filing(desk: Desk) -> None:
    await desk.record(patent())
    first = await desk.file(filing_data(), case="loan-case", channel="credit", reference="loan-1")
    desk.clock.advance(timedelta(minutes=5))

    again = await desk.file(filing_data(), case="other", channel="credit", reference="loan-1")

    assert again.filing_id == first.filing_id
    assert (again.received_at, again.correlation_id) == (START, "loan-case")
    assert [f.filing_id for f in desk.database.filings.values()] == [first.filing_id]
    assert len(desk.events("registry.pledge.registered")) == 1


# The examiner's desk


async def test_an_examiner_claims_a_filing_and_another_cannot_take_it(desk: Desk) -> None:
    filed = await desk.examined()
    claim = examination.ClaimFiling(filed.filing_id, "exa", START)

    claimed = await desk.handle(claim)
    taken = await refused(desk.handle(replace(claim, examiner="exb")))
    again = await desk.handle(claim)

    assert claimed.claimed_by == "exa"
    assert [(d.action, d.examiner) for d in claimed.decisions] == [("claimed", "exa")]
    assert taken.code == "filing.claimed_by_other"
    assert again.decisions == claimed.decisions
    [event] = desk.events("registry.filing.claimed")
    assert (event.aggregate_id, event.payload["claimed_by"]) == (filed.filing_id, "exa")


@pytest.mark.parametrize("decision", ["register", "refuse", "request-correction", "acknowledge"])
async def test_only_the_claiming_examiner_decides(desk: Desk, decision: str) -> None:
    filed = await desk.examined()

    def by(examiner: str) -> Command:
        at, filing_id = desk.clock.now(), filed.filing_id
        reason = Reason("contract.incomplete", "The scope is unclear.")
        return {
            "register": examination.RegisterFiling(filing_id, examiner, at),
            "refuse": examination.RefuseFiling(filing_id, examiner, (reason,), at),
            "request-correction": examination.RequestCorrection(
                filing_id, examiner, ("scope_of_guarantee",), "State the scope.", at
            ),
            "acknowledge": examination.AcknowledgeWarnings(
                filing_id, examiner, (WARNING,), "Confirmed in writing.", at
            ),
        }[decision]

    unclaimed = await refused(desk.handle(by("exa")))
    await desk.handle(examination.ClaimFiling(filed.filing_id, "exa", START))
    other = await refused(desk.handle(by("exb")))

    assert (unclaimed.code, other.code) == ("filing.not_claimed", "filing.claimed_by_other")
    current = await desk.filing(filed.filing_id)
    assert current.status is FilingStatus.IN_EXAMINATION
    assert [d.action for d in current.decisions] == ["claimed"]


async def test_decisions_on_a_filing_not_in_examination_or_unknown_are_refused(
    desk: Desk,
) -> None:
    await desk.record(patent())
    clean = await desk.file(filing_data())

    claim = await refused(desk.handle(examination.ClaimFiling(clean.filing_id, "exa", START)))
    register = await refused(desk.handle(examination.RegisterFiling(clean.filing_id, "exa", START)))
    unknown = await refused(desk.handle(examination.ClaimFiling("no-such-filing", "exa", START)))

    assert (claim.code, register.code) == ("filing.not_in_examination",) * 2
    assert isinstance(unknown, NotFound) and unknown.code == "filing.not_found"


async def test_the_examiner_registers_once_the_warnings_are_acknowledged(desk: Desk) -> None:
    filed = await desk.claimed(acknowledged=frozenset())
    register = examination.RegisterFiling(filed.filing_id, "exa", START + timedelta(hours=1))
    note = "Both parties confirmed in writing on 2 March that they proceed."

    unacknowledged = await refused(desk.handle(register))
    not_a_warning = await refused(
        desk.handle(
            examination.AcknowledgeWarnings(filed.filing_id, "exa", ("right.frozen",), note, START)
        )
    )
    acknowledged = await desk.handle(
        examination.AcknowledgeWarnings(filed.filing_id, "exa", (WARNING,), note, START)
    )
    registered = await desk.handle(register, case="a-desk-request")

    assert unacknowledged.code == "filing.acknowledgement_missing"
    assert not_a_warning.code == "acknowledgement.not_a_warning"
    assert acknowledged.findings[0].acknowledged and acknowledged.data.acknowledged == {WARNING}
    assert (registered.status, registered.decided_by) == (FilingStatus.REGISTERED, "exa")
    assert registered.registration_number == "Y2026000001"
    assert [(d.action, d.examiner) for d in registered.decisions] == [
        ("claimed", "exa"),
        ("warnings_acknowledged", "exa"),
        ("registered", "exa"),
    ]
    assert await desk.held(PATENT) == {PATENT: "Y2026000001"}
    assert desk.gazette() == [("registration", PATENT, "Y2026000001")]
    assert await desk.bus.query(examination.ExaminationQueue(10, 0)) == (
        examination.QueuePage(0, [])
    )
    acknowledgement = desk.events("registry.filing.warnings_acknowledged")[0].payload
    assert (acknowledgement["acknowledged_by"], acknowledgement["codes"]) == ("exa", [WARNING])
    assert acknowledgement["note"] == note
    [event] = desk.events("registry.pledge.registered")
    assert (event.payload["decided_by"], event.payload["within_deadline"]) == ("exa", True)
    case_events = [e for e in desk.events() if e.aggregate_id == filed.filing_id]
    assert [e.event_type for e in case_events] == [
        "registry.filing.received",
        "registry.filing.queued_for_examination",
        "registry.filing.claimed",
        "registry.filing.warnings_acknowledged",
        "registry.pledge.registered",
    ]
    assert [e.aggregate_version for e in case_events] == [1, 2, 3, 4, 5]
    assert {e.correlation_id for e in case_events} == {"case-1"}


async def test_a_right_pledged_meanwhile_cannot_be_registered(desk: Desk) -> None:
    first = await desk.claimed("exa")
    second = await desk.claimed("exb")
    await desk.handle(examination.RegisterFiling(second.filing_id, "exb", START))

    taken = await refused(desk.handle(examination.RegisterFiling(first.filing_id, "exa", START)))

    assert taken.code == "right.already_pledged"
    current = await desk.filing(first.filing_id)
    assert (current.status, current.registration_number) == (FilingStatus.IN_EXAMINATION, None)
    assert await desk.held(PATENT) == {PATENT: "Y2026000001"}


async def test_an_examiner_refuses_only_on_statutory_grounds(desk: Desk) -> None:
    filed = await desk.claimed()

    def refuse(*reasons: Reason) -> examination.RefuseFiling:
        return examination.RefuseFiling(filed.filing_id, "exa", reasons, START)

    made_up = await refused(desk.handle(refuse(Reason("made.up_reason", "Because."))))
    unexplained = await refused(desk.handle(refuse(Reason("other", "   "))))
    statutory = Reason("contract.incomplete", "The scope of guarantee is unclear.")
    explained = Reason("other", "The contract was signed by an unauthorised person.")
    decided = await desk.handle(refuse(statutory, explained))

    assert (made_up.code, unexplained.code) == (
        "refusal.unknown_ground",
        "refusal.explanation_missing",
    )
    assert (decided.status, decided.decided_by) == (FilingStatus.REFUSED, "exa")
    assert decided.refusal_codes == ("contract.incomplete", "other")
    [event] = desk.events("registry.filing.refused")
    assert event.payload["decided_by"] == "exa"
    assert event.payload["grounds"] == [
        {
            "code": reason.code,
            "right": None,
            "message": reason.message,
            "severity": "refusal",
            "acknowledged": False,
            "related": [],
        }
        for reason in (statutory, explained)
    ]
    assert await desk.held(PATENT) == {}


async def test_a_correction_request_names_what_the_pledgee_may_correct(desk: Desk) -> None:
    filed = await desk.claimed(acknowledged=frozenset())
    friday_evening = datetime(2026, 3, 6, 20, 30, tzinfo=BEIJING).astimezone(UTC)
    request = examination.RequestCorrection(
        filed.filing_id, "exa", ("acknowledgements", "scope_of_guarantee"), "Fix these.", START
    )

    none_named = await refused(desk.handle(replace(request, fields=())))
    party = await refused(desk.handle(replace(request, fields=("pledgee.uscc",))))
    asked = await desk.handle(request)
    desk.clock.set(friday_evening)

    def correction(caller: str | None = PLEDGEE.uscc, **changes: Any) -> Command:
        data = replace(filed.data, **changes)
        return examination.CorrectFiling(filed.filing_id, caller, data, friday_evening)

    other_bank = await refused(desk.handle(correction(OTHER_BANK)))
    not_asked = await refused(desk.handle(correction(secured_amount=Decimal("900000.00"))))
    taken_over = await refused(desk.handle(correction(pledgee=replace(PLEDGEE, uscc=OTHER_BANK))))
    corrected = await desk.handle(
        correction(acknowledged=frozenset({WARNING}), scope_of_guarantee="principal only")
    )

    assert (none_named.code, party.code) == (
        "correction.fields_missing",
        "correction.not_correctable",
    )
    assert asked.status is FilingStatus.AWAITING_CORRECTION
    assert asked.requested_fields == ("scope_of_guarantee", "acknowledgements")
    assert isinstance(other_bank, NotFound) and other_bank.code == "filing.not_found"
    assert not_asked.code == "correction.field_not_requested"
    assert taken_over.code == "correction.not_correctable"
    assert (corrected.status, corrected.claimed_by) == (FilingStatus.IN_EXAMINATION, "exa")
    assert corrected.data.scope_of_guarantee == "principal only"
    assert corrected.findings[0].acknowledged
    assert (corrected.corrected_at, corrected.deadline_at) == (
        friday_evening,
        end_of_beijing_day(date(2026, 3, 9)),
    )
    [requested] = desk.events("registry.filing.correction_requested")
    assert requested.payload["fields"] == ["scope_of_guarantee", "acknowledgements"]
    [event] = desk.events("registry.filing.corrected")
    assert event.payload["changed"] == ["scope_of_guarantee", "acknowledgements"]
    assert instant(event.payload["deadline_at"]) == corrected.deadline_at


async def test_a_correction_must_be_asked_for_and_is_checked_again(desk: Desk) -> None:
    filed = await desk.claimed()
    beyond_term = replace(filed.data, performance_deadline=date(2039, 3, 1))
    correct = examination.CorrectFiling(filed.filing_id, PLEDGEE.uscc, beyond_term, START)

    unasked = await refused(desk.handle(correct))
    await desk.handle(
        examination.RequestCorrection(
            filed.filing_id, "exa", ("performance_deadline",), "Fix the deadline.", START
        )
    )
    corrected = await desk.handle(correct)

    assert unasked.code == "filing.not_awaiting_correction"
    assert (corrected.status, corrected.decided_by) == (FilingStatus.REFUSED, None)
    assert "deadline.beyond_term" in {f.code for f in corrected.findings}


async def test_a_filing_credit_sent_keeps_the_loans_amount_and_deadline(desk: Desk) -> None:
    await desk.record(patent(invalidation_pending=True))
    filed = await desk.file(filing_data(), channel="credit", reference="loan-77")
    await desk.handle(examination.ClaimFiling(filed.filing_id, "exa", START))

    def request(*fields: str) -> examination.RequestCorrection:
        return examination.RequestCorrection(filed.filing_id, "exa", fields, "Fix.", START)

    amount = await refused(desk.handle(request("secured_amount")))
    await desk.handle(request("scope_of_guarantee"))
    bigger = replace(filed.data, secured_amount=Decimal("900000.00"))
    changed = await refused(
        desk.handle(examination.CorrectFiling(filed.filing_id, PLEDGEE.uscc, bigger, START))
    )

    assert (amount.code, changed.code) == ("correction.conflicts_with_loan",) * 2
    current = await desk.filing(filed.filing_id)
    assert (current.channel, current.data.secured_amount) == ("credit", Decimal("300000.00"))
