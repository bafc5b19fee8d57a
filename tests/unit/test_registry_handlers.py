"""The registry's handlers through its message bus, on in-memory storage: filings, the
examiner's desk, the deadline watch, pledges and the calendar in milliseconds.

What needs PostgreSQL (racing filings and examiners, replicas, the real migrations and the
HTTP wiring) is tested in tests/integration; the fake used here is held to PostgreSQL's
behaviour by tests/contract/test_registry_repositories.py. The HTTP answers to the same
commands are tested on the same fakes in the other test_registry_*_api.py files.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.registry.bootstrap import bootstrap
from services.registry.domain.amendments import CancellationReason, PledgeChange
from services.registry.domain.decisions import Reason
from services.registry.domain.filing import Party, PledgeFilingData
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from services.registry.domain.register import Holder, Patent
from services.registry.service_layer import calendar, examination, handlers, pledges, sla
from services.registry.service_layer.deps import RegistryDeps
from shared.calendars import CalendarBook, StoredSchedule
from shared.context import EventContext
from shared.envelope import Envelope
from shared.identifiers import make_uscc, patent_check_digit
from shared.kernel.clock import ManualClock
from shared.kernel.errors import DomainError, NotFound
from shared.kernel.messages import Command
from shared.messagebus import MessageBus
from shared.workdays import BEIJING, Notice, OfficialCalendar, end_of_beijing_day
from tests.calendars import AMENDED_2027, SCHEDULE_2027
from tests.fakes.registry import FakeRegistryDatabase, FakeRegistryUnitOfWork

# Monday 2 March 2026, 10:00 in Beijing: a year the calendar knows.
START = datetime(2026, 3, 2, 10, tzinfo=BEIJING).astimezone(UTC)
PLEDGOR = Party("Hangzhou Lens Optics Co., Ltd.", make_uscc(7), "1 Wensan Road, Hangzhou")
PLEDGEE = Party("Hangzhou Science and Technology Bank", "91330100609123456B", "88 Qianjiang Road")
OTHER_BANK = "913702007180012344"
HOLDER = Holder(PLEDGOR.name, PLEDGOR.uscc)


def patent_number(serial: int) -> str:
    digits = f"20191{serial:07d}"
    return f"{digits}.{patent_check_digit(digits)}"


PATENT, SECOND = patent_number(11), patent_number(12)
WARNING = "patent.invalidation_pending"


class Desk:
    """The registry's bus on fake storage, with its clock, calendar and what it committed."""

    def __init__(self, database: FakeRegistryDatabase | None = None) -> None:
        self.database = database or FakeRegistryDatabase()
        self.clock = ManualClock(START)
        official = OfficialCalendar()
        self.deps = RegistryDeps(official, CalendarBook(official), self.clock)
        self.bus: MessageBus[FakeRegistryUnitOfWork] = bootstrap(
            self.database.unit_of_work, self.deps
        )

    async def handle(self, command: Command, case: str | None = None) -> Any:
        context = EventContext(case) if case else None
        return (await self.bus.handle(command, context=context)).result

    async def record(self, *patents: Patent) -> None:
        await self.handle(handlers.RecordRights(patents))

    async def file(
        self,
        data: PledgeFilingData,
        case: str = "case-1",
        channel: str = "api",
        reference: str | None = None,
    ) -> PledgeFiling:
        caller = PLEDGEE.uscc if channel == "api" else None
        command = handlers.FilePledge(data, channel, reference, self.clock.now(), caller)
        filing: PledgeFiling = await self.handle(command, case)
        return filing

    async def examined(self, **changes: Any) -> PledgeFiling:
        """A filing the checks send to an examiner: a pending invalidation, acknowledged
        unless `acknowledged` says otherwise."""
        await self.record(patent(invalidation_pending=True))
        filed = await self.file(filing_data(**({"acknowledged": frozenset({WARNING})} | changes)))
        assert filed.status is FilingStatus.IN_EXAMINATION
        return filed

    async def claimed(self, examiner: str = "exa", **changes: Any) -> PledgeFiling:
        filed = await self.examined(**changes)
        await self.handle(examination.ClaimFiling(filed.filing_id, examiner, self.clock.now()))
        return filed

    async def filing(self, filing_id: str) -> PledgeFiling:
        found: PledgeFiling = await self.bus.query(handlers.GetFiling(filing_id))
        return found

    async def held(self, *rights: str) -> dict[str, str]:
        async with self.database.unit_of_work() as uow:
            return await uow.filings.active_pledges(rights)

    def events(self, event_type: str | None = None) -> list[Envelope]:
        return self.database.events(event_type)

    def kinds(self, aggregate_id: str) -> list[str]:
        return [e.event_type for e in self.events() if e.aggregate_id == aggregate_id]

    def gazette(self) -> list[tuple[str, str, str]]:
        return [
            (e.entry_type.value, e.right_number, e.registration_number)
            for e in self.database.register_entries.values()
        ]


@pytest.fixture
def desk() -> Desk:
    return Desk()


def patent(number: str = PATENT, **changes: Any) -> Patent:
    entry = Patent(
        number=number,
        kind="invention",
        title="Lens assembly with adaptive focus",
        holders=(HOLDER,),
        filing_date=date(2019, 3, 1),
        grant_date=date(2021, 5, 10),
        legal_status="valid",
        fees_paid_through=date(2027, 3, 1),
        main_ipc="G02B 7/02",
    )
    return replace(entry, **changes)


def filing_data(*rights: str, **changes: Any) -> PledgeFilingData:
    data = PledgeFilingData(
        pledgor=PLEDGOR,
        pledgee=PLEDGEE,
        debt_type="loan",
        secured_amount=Decimal("300000.00"),
        performance_deadline=date(2027, 3, 1),
        patents=rights or (PATENT,),
        scope_of_guarantee="principal, interest and enforcement costs",
        filed_on=date(2026, 3, 2),
    )
    return replace(data, **changes)


async def refused(action: Awaitable[object]) -> DomainError:
    """The refusal a command or query met."""
    with pytest.raises(DomainError) as raised:
        await action
    return raised.value


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


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


# The deadline watch


async def watch(desk: Desk) -> list[str]:
    """What the SLA timer does: announce every filing newly past its deadline."""
    overdue = await desk.bus.query(sla.OverdueFilings(desk.clock.now(), 200))
    flagged = [
        await desk.handle(sla.FlagBreach(filing_id, desk.clock.now())) for filing_id in overdue
    ]
    return [filing_id for filing_id, done in zip(overdue, flagged, strict=True) if done]


async def test_a_breach_is_announced_once_and_never_on_a_provisional_deadline(
    desk: Desk,
) -> None:
    late = await desk.claimed()
    desk.clock.set(datetime(2026, 12, 31, 10, tzinfo=BEIJING))
    await desk.record(patent(SECOND, invalidation_pending=True))
    year_end = await desk.file(
        filing_data(SECOND, acknowledged=frozenset({WARNING}), filed_on=date(2026, 12, 31))
    )
    desk.clock.set(datetime(2027, 1, 6, 9, tzinfo=BEIJING))

    first_watch = await watch(desk)
    second_watch = await watch(desk)
    again = await desk.handle(sla.FlagBreach(late.filing_id, desk.clock.now()))
    provisional = await desk.handle(sla.FlagBreach(year_end.filing_id, desk.clock.now()))

    assert year_end.deadline_provisional and year_end.deadline_at < desk.clock.now()
    assert (first_watch, second_watch, again, provisional) == ([late.filing_id], [], False, False)
    [event] = desk.events("registry.filing.sla_breached")
    assert (event.aggregate_id, event.correlation_id) == (late.filing_id, "case-1")
    assert event.payload["status"] == "in_examination"
    assert event.payload["claimed_by"] == "exa"
    assert instant(event.payload["deadline_at"]) == late.deadline_at
    assert instant(event.payload["breached_at"]) == desk.clock.now()
    assert (await desk.filing(late.filing_id)).sla_breached_at == desk.clock.now()


# Registered pledges


async def test_a_change_replaces_the_terms_once_they_pass_the_checks(desk: Desk) -> None:
    await desk.record(patent())
    registration = (await desk.file(filing_data())).registration_number
    assert registration is not None
    at = START + timedelta(days=1)

    def change(**terms: Any) -> pledges.ChangePledge:
        return pledges.ChangePledge(registration, PledgeChange(**terms), at, PLEDGEE.uscc)

    beyond = await refused(desk.handle(change(performance_deadline=date(2039, 3, 1))))
    same = await refused(desk.handle(change(secured_amount=Decimal("300000.00"))))
    new_pledgor = await refused(desk.handle(change(pledgor=replace(PLEDGOR, uscc=OTHER_BANK))))
    elsewhere = await refused(
        desk.handle(replace(change(secured_amount=Decimal("1.00")), caller_uscc=OTHER_BANK))
    )
    changed = await desk.handle(
        change(secured_amount=Decimal("450000.00"), performance_deadline=date(2028, 3, 1))
    )

    assert (beyond.code, same.code, new_pledgor.code) == (
        "change.refused",
        "change.nothing_changed",
        "change.refused",
    )
    assert elsewhere.code == "pledge.not_found"
    assert changed.data.secured_amount == Decimal("450000.00")
    assert [(a.kind, a.changed) for a in changed.amendments] == [
        ("change", ("secured_amount", "performance_deadline"))
    ]
    [event] = desk.events("registry.pledge.changed")
    assert (event.aggregate_id, event.correlation_id) == (changed.filing_id, "case-1")
    assert event.payload["changed"] == ["secured_amount", "performance_deadline"]
    assert event.payload["secured_amount"] == "450000.00"
    assert desk.gazette()[-1] == ("change", PATENT, registration)


async def test_a_cancellation_ends_the_pledge_and_frees_its_rights(desk: Desk) -> None:
    await desk.record(patent())
    filed = await desk.file(filing_data())
    registration = filed.registration_number
    assert registration is not None
    blocked = await desk.file(filing_data())
    cancel = pledges.CancelPledge(
        registration, CancellationReason.PLEDGEE_WAIVED, START, PLEDGEE.uscc
    )

    cancelled = await desk.handle(cancel, case="a-bank-request")
    twice = await refused(desk.handle(cancel))
    again = await desk.file(filing_data())

    assert [f.code for f in blocked.findings] == ["right.already_pledged"]
    assert (cancelled.status, cancelled.cancellation_reason) == (
        FilingStatus.CANCELLED,
        CancellationReason.PLEDGEE_WAIVED,
    )
    assert twice.code == "pledge.not_active"
    assert (again.status, again.registration_number) == (FilingStatus.REGISTERED, "Y2026000002")
    assert await desk.held(PATENT) == {PATENT: "Y2026000002"}
    [event] = desk.events("registry.pledge.cancelled")
    assert (event.aggregate_id, event.correlation_id) == (filed.filing_id, "case-1")
    assert (event.payload["registration_number"], event.payload["reason"]) == (
        registration,
        "pledgee_waived",
    )
    assert event.payload["patents"] == [PATENT]
    assert ("cancellation", PATENT, registration) in desk.gazette()


async def test_a_release_from_credit_cancels_the_loans_pledge_once(desk: Desk) -> None:
    await desk.record(patent())
    filed = await desk.file(filing_data(), case="loan-case", channel="credit", reference="loan-1")
    registration = filed.registration_number
    assert registration is not None

    def release(loan_id: str, number: str = registration) -> pledges.ReleasePledge:
        return pledges.ReleasePledge(loan_id, number, CancellationReason.DEBT_REPAID, START)

    other_loan = await refused(desk.handle(release("loan-2")))
    unknown = await refused(desk.handle(release("loan-1", "Y2026999999")))
    await desk.handle(release("loan-1"), case="the-release")
    await desk.handle(release("loan-1"), case="the-release")

    assert (other_loan.code, unknown.code) == ("pledge.release_mismatch", "pledge.not_found")
    [event] = desk.events("registry.pledge.cancelled")
    assert (event.payload["reason"], event.payload["filing_reference"]) == (
        "debt_repaid",
        "loan-1",
    )
    assert event.correlation_id == "loan-case"
    assert await desk.held(PATENT) == {}


# The official calendar


def entered(body: dict[str, Any], at: datetime) -> calendar.EnterSchedule:
    return calendar.EnterSchedule(
        2027,
        frozenset(date.fromisoformat(d) for d in body["holidays"]),
        frozenset(date.fromisoformat(d) for d in body["makeup_workdays"]),
        Notice(body["notice"]["reference"], date.fromisoformat(body["notice"]["published_on"])),
        "supervisor-wang",
        at,
    )


async def test_entering_a_year_counts_its_open_deadlines_anew(desk: Desk) -> None:
    desk.clock.set(datetime(2026, 12, 31, 10, tzinfo=BEIJING))
    await desk.record(patent(invalidation_pending=True, fees_paid_through=date(2028, 1, 1)))
    waiting = await desk.file(filing_data(filed_on=date(2026, 12, 31)))
    await desk.record(patent(SECOND, fees_paid_through=date(2028, 1, 1)))
    decided = await desk.file(filing_data(SECOND, filed_on=date(2026, 12, 31)))
    at = datetime(2027, 1, 2, 9, tzinfo=BEIJING).astimezone(UTC)

    stored: StoredSchedule = await desk.handle(entered(SCHEDULE_2027, at), case="the-notice")

    assert (waiting.status, waiting.deadline_provisional) == (FilingStatus.IN_EXAMINATION, True)
    assert decided.status is FilingStatus.REGISTERED
    assert waiting.deadline_at == end_of_beijing_day(date(2027, 1, 4))
    assert (stored.version, stored.entered_by, stored.entered_at) == (1, "supervisor-wang", at)
    current = await desk.filing(waiting.filing_id)
    assert (current.deadline_at, current.deadline_provisional) == (
        end_of_beijing_day(date(2027, 1, 5)),
        False,
    )
    assert (await desk.filing(decided.filing_id)).deadline_at == decided.deadline_at
    [published] = desk.events("registry.calendar.year_published")
    assert (published.aggregate_id, published.aggregate_version) == ("2027", 1)
    assert published.payload["notice_reference"] == SCHEDULE_2027["notice"]["reference"]
    assert published.payload["holidays"] == SCHEDULE_2027["holidays"]
    [moved] = desk.events("registry.filing.deadline_moved")
    assert (moved.aggregate_id, moved.correlation_id) == (waiting.filing_id, "case-1")
    assert instant(moved.payload["previous_deadline_at"]) == end_of_beijing_day(date(2027, 1, 4))
    assert (moved.payload["calendar_year"], moved.payload["calendar_version"]) == (2027, 1)
    assert moved.payload["deadline_provisional"] is False


async def test_an_amendment_in_force_moves_the_deadlines_counted_on_the_year_before(
    desk: Desk,
) -> None:
    desk.clock.set(datetime(2027, 2, 4, 10, tzinfo=BEIJING))
    first: StoredSchedule = await desk.handle(entered(SCHEDULE_2027, desk.clock.now()))
    desk.deps.book.install(first)
    await desk.record(patent(invalidation_pending=True, fees_paid_through=date(2028, 1, 1)))
    waiting = await desk.file(filing_data(filed_on=date(2027, 2, 4)))
    desk.clock.set(datetime(2027, 2, 5, 9, tzinfo=BEIJING))
    amended: StoredSchedule = await desk.handle(entered(AMENDED_2027, desk.clock.now()))

    desk.deps.book.install(amended)
    nothing_left = await desk.handle(calendar.RecountDeadlines(desk.clock.now()))

    assert waiting.deadline_at == end_of_beijing_day(date(2027, 2, 15))
    assert amended.version == 2
    assert (await desk.filing(waiting.filing_id)).deadline_at == end_of_beijing_day(
        date(2027, 2, 16)
    )
    [moved] = desk.events("registry.filing.deadline_moved")
    assert moved.payload["calendar_version"] == 2
    assert nothing_left == []
    history = await desk.bus.query(calendar.ScheduleHistory(2027))
    assert [(s.version, s.schedule.notice) for s in history] == [
        (1, first.schedule.notice),
        (2, amended.schedule.notice),
    ]
    assert await desk.bus.query(calendar.SchedulesInForce()) == [amended]


async def test_a_year_put_in_force_by_another_replica_recounts_the_deadlines(
    desk: Desk,
) -> None:
    desk.clock.set(datetime(2026, 12, 31, 10, tzinfo=BEIJING))
    other_replica = Desk(desk.database)
    stored = await other_replica.handle(entered(SCHEDULE_2027, desk.clock.now()))
    await desk.record(patent(invalidation_pending=True, fees_paid_through=date(2028, 1, 1)))
    waiting = await desk.file(filing_data(filed_on=date(2026, 12, 31)))

    installed = desk.deps.book.install_all(await desk.bus.query(calendar.SchedulesInForce()))
    moved = await desk.handle(calendar.RecountDeadlines(desk.clock.now()))
    again = await desk.handle(calendar.RecountDeadlines(desk.clock.now()))

    assert waiting.deadline_provisional
    assert installed == [stored]
    assert (moved, again) == ([waiting.filing_id], [])
    current = await desk.filing(waiting.filing_id)
    assert (current.deadline_at, current.deadline_provisional) == (
        end_of_beijing_day(date(2027, 1, 5)),
        False,
    )
    [event] = desk.events("registry.filing.deadline_moved")
    assert (event.aggregate_id, event.correlation_id) == (waiting.filing_id, "case-1")
