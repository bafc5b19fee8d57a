"""The registry's deadline watch, registered pledges and the official calendar through its
message bus, on in-memory storage (see test_registry_handlers.py for what is tested where)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.registry.domain.amendments import CancellationReason, PledgeChange
from services.registry.domain.pledge import FilingStatus
from services.registry.service_layer import calendar, pledges, sla
from shared.calendars import StoredSchedule
from shared.workdays import BEIJING, Notice, end_of_beijing_day
from tests.calendars import AMENDED_2027, SCHEDULE_2027
from tests.unit.registry_bus import (
    OTHER_BANK,
    PATENT,
    PLEDGEE,
    PLEDGOR,
    SECOND,
    START,
    WARNING,
    Desk,
    desk,
    filing_data,
    instant,
    patent,
    refused,
)

__all__ = ["desk"]


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
