"""The registry's unit of work and repositories: the same tests on the in-memory fakes, on
PostgreSQL and on SQLite (the local stack's database) with the real migrations, so the fakes
the service tests use cannot drift."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.adapters.orm import metadata, recordals
from services.registry.domain.amendments import CancellationReason, PledgeChange
from services.registry.domain.checks import CheckResult, Finding, RefusalCode, Severity
from services.registry.domain.filing import Deadline, Party
from services.registry.domain.gazette import EntryType, RegisterEntry
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from services.registry.domain.recordal import Recordal, RecordalKind
from services.registry.domain.register import Holder, Patent, Trademark
from services.registry.service_layer.deadlines import registration_deadline
from services.registry.service_layer.ports import RegistryUnitOfWork
from services.registry.service_layer.unit_of_work import SqlRegistryUnitOfWork
from shared.calendars import StoredSchedule
from shared.db import create_engine, session_factory
from shared.dedup import Dedup
from shared.envelope import Envelope
from shared.holidays import provisional_days_off
from shared.retry import is_conflict
from shared.uow import Storage
from shared.workdays import BEIJING, Notice, OfficialCalendar, YearSchedule
from tests.conftest import MakeDatabase, migrated
from tests.fakes.registry import FakeRegistryDatabase
from tests.unit.test_registry_checks import (
    INVENTION,
    MARK,
    PATENTEE,
    PLEDGEE,
    STRANGER,
    UTILITY,
    make_filing,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING).astimezone(UTC)
PATENT = INVENTION.number
OTHER_BANK = Party("Qingdao Rural Commercial Bank", "913702007180012344", "Qingdao")
WARNING = Finding(
    RefusalCode.PATENT_INVALIDATION_PENDING, PATENT, "invalidation pending", Severity.WARNING
)
TABLES = [table for table in metadata.tables if table != "audit_log"]


@dataclass
class Backend:
    unit_of_work: Callable[[], RegistryUnitOfWork]
    events: Callable[[], Awaitable[list[Envelope]]]
    recordals: Callable[[], Awaitable[list[str]]]
    one_writer_at_a_time: bool = False

    def concurrently(self) -> None:
        """Skip a test of two open units of work: on SQLite the second waits for the first."""
        if self.one_writer_at_a_time:
            pytest.skip("SQLite runs one transaction at a time")


@pytest.fixture(scope="module")
async def postgres_database(make_database: MakeDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await make_database("registry"))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    path = tmp_path_factory.mktemp("registry") / "registry.db"
    engine = create_engine(await migrated("registry", f"sqlite+aiosqlite:///{path}"))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The in-memory fakes, or the SQL unit of work on PostgreSQL or SQLite."""
    if request.param != "fake":
        sql: Backend = request.getfixturevalue(f"{request.param}_backend")
        return sql
    database = FakeRegistryDatabase()

    async def committed_events() -> list[Envelope]:
        return database.events()

    async def kept_recordals() -> list[str]:
        return sorted(r.recordal_id for r in database.recordals.values())

    return Backend(database.unit_of_work, committed_events, kept_recordals)


@pytest.fixture
async def postgres_backend(postgres_database: AsyncEngine) -> Backend:
    await _emptied(postgres_database)
    return _sql_backend(postgres_database)


@pytest.fixture
async def sqlite_backend(sqlite_database: AsyncEngine) -> Backend:
    await _emptied(sqlite_database)
    return replace(_sql_backend(sqlite_database), one_writer_at_a_time=True)


async def _emptied(engine: AsyncEngine) -> None:
    """Every row of the previous test deleted (quicker than TRUNCATE on tables this small)."""
    async with engine.begin() as connection:
        for table in TABLES:
            await connection.execute(text(f"DELETE FROM {table}"))


def _sql_backend(engine: AsyncEngine) -> Backend:
    outbox = metadata.tables["outbox"]
    storage = Storage(
        sessions=session_factory(engine),
        outbox=outbox,
        processed=metadata.tables["processed_messages"],
        producer="registry",
    )

    async def shipped() -> list[Envelope]:
        async with engine.connect() as connection:
            rows = await connection.execute(select(outbox.c.body).order_by(outbox.c.id))
            return [Envelope.from_json(body) for (body,) in rows]

    async def kept_recordals() -> list[str]:
        async with engine.connect() as connection:
            rows = await connection.execute(select(recordals.c.recordal_id))
            return sorted(recordal_id for (recordal_id,) in rows)

    return Backend(lambda: SqlRegistryUnitOfWork(storage), shipped, kept_recordals)


async def conflict_of(action: Callable[[], Awaitable[object]]) -> BaseException:
    with pytest.raises(Exception) as raised:
        await action()
    assert is_conflict(raised.value), repr(raised.value)
    return raised.value


# Building blocks


def received(
    at: datetime = T0,
    rights: tuple[str, ...] = (PATENT,),
    reference: str | None = None,
    channel: str = "api",
    due: datetime | None = None,
    provisional: bool = False,
) -> PledgeFiling:
    deadline = registration_deadline(at, False, OfficialCalendar())
    if due is not None:
        deadline = Deadline(due, provisional, deadline.basis)
    return PledgeFiling.receive(
        filing_id=str(uuid.uuid4()),
        filing_reference=reference,
        channel=channel,
        data=make_filing(patents=rights),
        received_at=at,
        deadline=deadline,
        correlation_id=f"case-{reference or 'api'}",
    )


def examined(**changes: Any) -> PledgeFiling:
    filing = received(**changes)
    filing.assess(CheckResult((WARNING,)), filing.received_at)
    return filing


def registered(number: str, *rights: str, at: datetime = T0) -> PledgeFiling:
    filing = received(at, rights=rights or (PATENT,))
    filing.register(number, at)
    return filing


async def saved(backend: Backend, *filings: PledgeFiling) -> None:
    async with backend.unit_of_work() as uow:
        for filing in filings:
            await uow.filings.save(filing)
        await uow.commit()


async def pledged(backend: Backend, *filings: PledgeFiling) -> None:
    async with backend.unit_of_work() as uow:
        for filing in filings:
            await uow.filings.save(filing)
            await uow.filings.hold_rights(filing)
        await uow.commit()


async def entered(backend: Backend, *rights: Patent | Trademark) -> None:
    async with backend.unit_of_work() as uow:
        for right in rights:
            kind = "patent" if isinstance(right, Patent) else "trademark"
            entry = await uow.register.entry(right.number, kind)
            entry.enter(right)
            await uow.register.save_entry(entry)
        await uow.commit()


# The register


async def test_a_right_entered_reads_back_and_each_version_is_announced(
    backend: Backend,
) -> None:
    await entered(backend, INVENTION, MARK)
    frozen = replace(INVENTION, frozen=True)
    async with backend.unit_of_work() as uow:
        entry = await uow.register.entry(PATENT, "patent")
        assert entry.version == 1
        entry.enter(frozen)
        await uow.register.save_entry(entry)
        await uow.commit()

    async with backend.unit_of_work() as uow:
        assert await uow.register.patents((PATENT, UTILITY.number)) == {PATENT: frozen}
        assert await uow.register.trademarks((MARK.number, PATENT)) == {MARK.number: MARK}
        assert (await uow.register.entry(PATENT, "patent")).version == 2
        assert (await uow.register.entry(UTILITY.number, "patent")).version == 0

    announced = [
        (e.event_type, e.aggregate_id, e.aggregate_version) for e in await backend.events()
    ]
    assert announced == [
        ("registry.patent.recorded", PATENT, 1),
        ("registry.trademark.recorded", MARK.number, 1),
        ("registry.patent.recorded", PATENT, 2),
    ]
    assert (await backend.events())[2].payload["frozen"] is True


async def test_an_owners_marks_are_all_found(backend: Backend) -> None:
    theirs = replace(MARK, number="23456790", owner=STRANGER)
    second = replace(MARK, number="23456791", mark="LANXIN PRO")
    await entered(backend, MARK, theirs, second)

    async with backend.unit_of_work() as uow:
        mine = await uow.register.marks_of(PATENTEE.uscc)
        nobodys = await uow.register.marks_of(PLEDGEE.uscc)

    assert sorted(m.number for m in mine) == [MARK.number, second.number]
    assert nobodys == []


async def test_a_same_day_twin_is_found_from_either_entry(backend: Backend) -> None:
    invention = replace(INVENTION, filing_date=UTILITY.filing_date)
    utility = replace(UTILITY, same_day_twin=invention.number)
    unrelated = replace(INVENTION, number="201910000042.8")
    await entered(backend, invention, utility, unrelated)

    async with backend.unit_of_work() as uow:
        from_invention = await uow.register.same_day_twins({invention.number: invention})
        from_utility = await uow.register.same_day_twins({utility.number: utility})
        alone = await uow.register.same_day_twins({unrelated.number: unrelated})

    assert from_invention == {invention.number: utility}
    assert from_utility == {utility.number: invention}
    assert alone == {}


async def test_nothing_is_kept_without_a_commit(backend: Backend) -> None:
    filing = registered("Y2026000001")
    async with backend.unit_of_work() as uow:
        entry = await uow.register.entry(PATENT, "patent")
        entry.enter(INVENTION)
        await uow.register.save_entry(entry)
        await uow.filings.save(filing)
        await uow.filings.hold_rights(filing)
        await uow.gazette.add(gazette_lines(filing, T0))

    async with backend.unit_of_work() as uow:
        assert await uow.register.patents((PATENT,)) == {}
        assert await uow.filings.get(filing.filing_id) is None
        assert await uow.filings.active_pledges((PATENT,)) == {}
        assert await uow.filings.next_registration_number(date(2026, 3, 2)) == "Y2026000001"
        assert await search(uow) == (0, [])
    assert await backend.events() == []


# Filings


def through_its_life() -> PledgeFiling:
    """A filing examined, corrected, acknowledged, registered, changed and cancelled."""
    filing = examined(reference="loan-1", channel="credit")
    at = T0 + timedelta(days=3)
    assert filing.flag_sla_breach(at)
    filing.claim("exa", at)
    filing.request_correction("exa", ("scope_of_guarantee",), "State the scope.", at)
    corrected = replace(filing.data, scope_of_guarantee="principal and interest")
    later = at + timedelta(hours=2)
    deadline = registration_deadline(later, False, OfficialCalendar())
    filing.correct(corrected, CheckResult((WARNING,)), deadline, later)
    filing.acknowledge("exa", (WARNING.code,), "Both parties confirmed in writing.", later)
    filing.register("Y2026000007", later, "exa")
    filing.change(PledgeChange(secured_amount=Decimal("450000.00")), CheckResult(()), later)
    filing.cancel(CancellationReason.DEBT_REPAID, later + timedelta(days=30))
    return filing


async def test_a_filing_reads_back_as_it_was_saved(backend: Backend) -> None:
    filing = through_its_life()
    await saved(backend, filing)

    async with backend.unit_of_work() as uow:
        found = await uow.filings.get(filing.filing_id)
        assert await uow.filings.get("no-such-filing") is None

    assert found == filing
    assert (found.status, found.version) == (FilingStatus.CANCELLED, 10)
    assert found.data.secured_amount == Decimal("450000.00")


async def test_a_commit_ships_the_events_of_the_filings_seen_under_their_case(
    backend: Backend,
) -> None:
    filing = examined(reference="loan-1", channel="credit")
    await saved(backend, filing)
    async with backend.unit_of_work() as uow:
        found = await uow.filings.get(filing.filing_id)
        assert found is not None
        found.claim("exa", T0)
        await uow.filings.save(found)
        await uow.commit()

    shipped = await backend.events()
    assert [(e.event_type, e.aggregate_id, e.aggregate_version) for e in shipped] == [
        ("registry.filing.received", filing.filing_id, 1),
        ("registry.filing.queued_for_examination", filing.filing_id, 2),
        ("registry.filing.claimed", filing.filing_id, 3),
    ]
    assert {(e.correlation_id, e.producer) for e in shipped} == {("case-loan-1", "registry")}


async def test_a_filing_is_found_by_its_senders_reference_and_its_registration_number(
    backend: Backend,
) -> None:
    first = received(T0, reference="loan-1", channel="credit")
    again = received(T0 + timedelta(minutes=5), reference="loan-1", channel="credit")
    by_api = received(T0, reference="loan-2", channel="api")
    pledge = registered("Y2026000001", "201910000042.8")
    await saved(backend, again, first, by_api, pledge)

    async with backend.unit_of_work() as uow:
        by_reference = await uow.filings.by_reference("credit", "loan-1")
        elsewhere = await uow.filings.by_reference("credit", "loan-2")
        by_number = await uow.filings.by_registration_number("Y2026000001")
        unknown = await uow.filings.by_registration_number("Y2026999999")

    assert by_reference is not None and by_reference.filing_id == first.filing_id
    assert by_number is not None and by_number.filing_id == pledge.filing_id
    assert (elsewhere, unknown) == (None, None)


async def test_a_save_that_lost_a_race_is_refused(backend: Backend) -> None:
    backend.concurrently()
    filing = examined()
    await saved(backend, filing)
    async with backend.unit_of_work() as first, backend.unit_of_work() as second:
        mine = await first.filings.get(filing.filing_id)
        theirs = await second.filings.get(filing.filing_id)
        assert mine is not None and theirs is not None
        mine.claim("exa", T0)
        await first.filings.save(mine)
        await first.commit()

        async def claim_too() -> None:
            theirs.claim("exb", T0)
            await second.filings.save(theirs)
            await second.commit()

        await conflict_of(claim_too)

    async with backend.unit_of_work() as uow:
        kept = await uow.filings.get(filing.filing_id)
    assert kept is not None and kept.claimed_by == "exa"


async def test_a_filing_is_received_once(backend: Backend) -> None:
    filing = received()
    await saved(backend, filing)

    async def receive_again() -> None:
        await saved(backend, filing)

    await conflict_of(receive_again)


async def test_a_registration_number_names_one_filing(backend: Backend) -> None:
    await saved(backend, registered("Y2026000001"))

    async def number_again() -> None:
        await saved(backend, registered("Y2026000001", "201910000042.8"))

    await conflict_of(number_again)


# One active pledge per right


async def test_a_right_is_held_by_one_pledge_until_it_is_released(backend: Backend) -> None:
    first = registered("Y2026000001", PATENT, MARK.number)
    second = registered("Y2026000002", PATENT)
    await pledged(backend, first)

    async with backend.unit_of_work() as uow:
        held = await uow.filings.active_pledges((PATENT, MARK.number, UTILITY.number))
        assert not await uow.filings.try_hold_rights(second)

    async def hold_as_well() -> None:
        await pledged(backend, second)

    await conflict_of(hold_as_well)
    assert held == {PATENT: "Y2026000001", MARK.number: "Y2026000001"}

    async with backend.unit_of_work() as uow:
        await uow.filings.release_rights(first)
        await uow.commit()
    async with backend.unit_of_work() as uow:
        assert await uow.filings.active_pledges((PATENT, MARK.number)) == {}
        assert await uow.filings.try_hold_rights(second)
        await uow.commit()
    async with backend.unit_of_work() as uow:
        assert await uow.filings.active_pledges((PATENT, MARK.number)) == {PATENT: "Y2026000002"}


async def test_a_right_taken_while_a_filing_waited_is_not_held_twice(backend: Backend) -> None:
    backend.concurrently()
    first, second = registered("Y2026000001"), registered("Y2026000002")
    async with backend.unit_of_work() as mine, backend.unit_of_work() as theirs:
        assert await theirs.filings.active_pledges((PATENT,)) == {}
        assert await mine.filings.try_hold_rights(first)
        await mine.commit()
        assert not await theirs.filings.try_hold_rights(second)
        assert await theirs.filings.active_pledges((PATENT,)) == {PATENT: "Y2026000001"}


async def test_two_filings_holding_one_right_at_once_leave_one_pledge(backend: Backend) -> None:
    backend.concurrently()

    async def hold(filing: PledgeFiling) -> None:
        async with backend.unit_of_work() as uow:
            await uow.filings.hold_rights(filing)
            await asyncio.sleep(0.05)
            await uow.commit()

    outcomes = await asyncio.gather(
        hold(registered("Y2026000001")), hold(registered("Y2026000002")), return_exceptions=True
    )

    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failures) == 1 and is_conflict(failures[0]), outcomes
    async with backend.unit_of_work() as uow:
        [number] = (await uow.filings.active_pledges((PATENT,))).values()
    assert number == ["Y2026000001", "Y2026000002"][outcomes.index(None)]


# Registration numbers


async def take_numbers(backend: Backend, on: date, count: int, commit: bool = True) -> list[str]:
    async with backend.unit_of_work() as uow:
        numbers = [await uow.filings.next_registration_number(on) for _ in range(count)]
        if commit:
            await uow.commit()
    return numbers


async def test_registration_numbers_run_on_per_year_without_gaps_or_repeats(
    backend: Backend,
) -> None:
    in_2026 = await take_numbers(backend, date(2026, 3, 2), 2)
    abandoned = await take_numbers(backend, date(2026, 3, 3), 1, commit=False)
    next_year = await take_numbers(backend, date(2027, 1, 4), 1)
    after = await take_numbers(backend, date(2026, 12, 31), 1)

    assert in_2026 == ["Y2026000001", "Y2026000002"]
    assert abandoned == ["Y2026000003"]
    assert next_year == ["Y2027000001"]
    assert after == ["Y2026000003"]


async def test_numbers_taken_at_once_never_repeat(backend: Backend) -> None:
    backend.concurrently()

    async def take() -> str:
        async with backend.unit_of_work() as uow:
            number = await uow.filings.next_registration_number(date(2026, 3, 2))
            await asyncio.sleep(0.05)
            await uow.commit()
            return number

    outcomes = await asyncio.gather(take(), take(), take(), return_exceptions=True)

    numbers = sorted(o for o in outcomes if isinstance(o, str))
    assert all(is_conflict(o) for o in outcomes if isinstance(o, BaseException)), outcomes
    assert numbers == [f"Y2026{n:06d}" for n in range(1, len(numbers) + 1)]
    assert await take_numbers(backend, date(2026, 3, 2), 1) == [f"Y2026{len(numbers) + 1:06d}"]


# The desk's lists


async def test_the_examination_queue_lists_the_earliest_deadline_first_a_page_at_a_time(
    backend: Backend,
) -> None:
    late = examined(due=T0 + timedelta(days=3))
    early = examined(due=T0 + timedelta(days=1))
    middle = examined(due=T0 + timedelta(days=2))
    tied = examined(at=T0 + timedelta(minutes=1), due=T0 + timedelta(days=2))
    waiting = examined(due=T0)
    waiting.claim("exa", T0)
    waiting.request_correction("exa", ("debt_type",), "Fix it.", T0)
    await saved(backend, late, early, tied, middle, waiting, registered("Y2026000001"))

    async with backend.unit_of_work() as uow:
        total, first_page = await uow.filings.examination_queue(3, 0)
        _, rest = await uow.filings.examination_queue(3, 3)

    assert total == 4
    assert [f.filing_id for f in first_page + rest] == [
        early.filing_id,
        middle.filing_id,
        tied.filing_id,
        late.filing_id,
    ]
    assert first_page[0].findings == (WARNING,)


async def test_overdue_filings_are_those_whose_firm_deadline_passed_undecided_and_unflagged(
    backend: Backend,
) -> None:
    now = T0 + timedelta(days=5)
    overdue = examined(due=T0 + timedelta(days=2))
    earlier = received(due=T0 + timedelta(days=1))
    provisional = examined(due=T0 + timedelta(days=1), provisional=True)
    flagged = examined(due=T0 + timedelta(days=1))
    flagged.flag_sla_breach(now - timedelta(days=1))
    suspended = examined(due=T0 + timedelta(days=1))
    suspended.claim("exa", T0)
    suspended.request_correction("exa", ("debt_type",), "Fix it.", T0)
    not_yet = examined(due=now + timedelta(hours=1))
    decided = registered("Y2026000001")
    await saved(backend, overdue, earlier, provisional, flagged, suspended, not_yet, decided)

    async with backend.unit_of_work() as uow:
        found = await uow.filings.overdue_unflagged(now, 10)
        first = await uow.filings.overdue_unflagged(now, 1)

    assert found == [earlier.filing_id, overdue.filing_id]
    assert first == [earlier.filing_id]


async def test_running_deadlines_are_listed_from_a_moment(backend: Backend) -> None:
    since = T0 + timedelta(days=2)
    before = examined(due=since - timedelta(seconds=1))
    at_since = received(due=since)
    after = examined(due=since + timedelta(days=1), provisional=True)
    suspended = examined(due=since + timedelta(days=1))
    suspended.claim("exa", T0)
    suspended.request_correction("exa", ("debt_type",), "Fix it.", T0)
    await saved(backend, after, before, suspended, at_since, registered("Y2026000001"))

    async with backend.unit_of_work() as uow:
        found = await uow.filings.running_deadlines_from(since)

    assert [f.filing_id for f in found] == [at_since.filing_id, after.filing_id]


async def test_filings_received_in_a_period(backend: Backend) -> None:
    day = timedelta(days=1)
    first, second, third = (received(T0 + n * day) for n in range(3))
    await saved(backend, third, first, second)

    async with backend.unit_of_work() as uow:
        everything = await uow.filings.received_between(None, None)
        middle = await uow.filings.received_between(T0 + day, T0 + 2 * day)
        from_second = await uow.filings.received_between(T0 + day, None)
        until_second = await uow.filings.received_between(None, T0 + day)

    def ids(found: list[PledgeFiling]) -> list[str]:
        return [f.filing_id for f in found]

    assert ids(everything) == [first.filing_id, second.filing_id, third.filing_id]
    assert ids(middle) == [second.filing_id]
    assert ids(from_second) == [second.filing_id, third.filing_id]
    assert ids(until_second) == [first.filing_id]


# The official calendar


def schedule(year: int, version: int, *extra_days_off: date) -> StoredSchedule:
    days_off = frozenset(provisional_days_off(year)) | frozenset(extra_days_off)
    notice = Notice(f"国办发明电〔{year - 1}〕{version}号", date(year - 1, 11, 12))
    entered_at = datetime(year - 1, 11, 13, 1, tzinfo=UTC)
    return StoredSchedule(
        YearSchedule(year, days_off, frozenset(), version, notice), "supervisor-wang", entered_at
    )


async def published(backend: Backend, stored: StoredSchedule) -> None:
    async with backend.unit_of_work() as uow:
        year = await uow.calendar.year(stored.year)
        assert year.next_version() == stored.version
        year.publish(stored.schedule, stored.entered_by, stored.entered_at)
        await uow.calendar.add(stored)
        await uow.commit()


async def test_every_version_of_a_year_is_kept_and_the_newest_is_in_force(
    backend: Backend,
) -> None:
    first_2031 = schedule(2031, 1)
    amended_2031 = schedule(2031, 2, date(2031, 2, 3))
    only_2032 = schedule(2032, 1)
    await published(backend, first_2031)
    await published(backend, only_2032)
    await published(backend, amended_2031)

    async with backend.unit_of_work() as uow:
        year = await uow.calendar.year(2031)
        unpublished = await uow.calendar.year(2033)
        in_force = await uow.calendar.in_force()
        history = await uow.calendar.history(2031)
        nothing = await uow.calendar.history(2033)

    assert (year.version, year.next_version(), unpublished.version) == (2, 3, 0)
    assert in_force == [amended_2031, only_2032]
    assert history == [first_2031, amended_2031]
    assert nothing == []
    announced = [(e.aggregate_id, e.aggregate_version) for e in await backend.events()]
    assert announced == [("2031", 1), ("2032", 1), ("2031", 2)]


async def test_a_version_is_published_once(backend: Backend) -> None:
    await published(backend, schedule(2031, 1))

    async def publish_it_again() -> None:
        async with backend.unit_of_work() as uow:
            await uow.calendar.add(schedule(2031, 1, date(2031, 2, 3)))
            await uow.commit()

    await conflict_of(publish_it_again)
    async with backend.unit_of_work() as uow:
        assert await uow.calendar.history(2031) == [schedule(2031, 1)]


async def test_two_supervisors_entering_a_year_at_once_make_one_version(
    backend: Backend,
) -> None:
    backend.concurrently()
    async with backend.unit_of_work() as first, backend.unit_of_work() as second:
        assert (await first.calendar.year(2031)).next_version() == 1
        assert (await second.calendar.year(2031)).next_version() == 1
        await first.calendar.add(schedule(2031, 1))
        await first.commit()

        async def enter_too() -> None:
            await second.calendar.add(schedule(2031, 1, date(2031, 2, 3)))
            await second.commit()

        await conflict_of(enter_too)


# Recordals


def transfer(patent: str = PATENT) -> Recordal:
    return Recordal(
        recordal_id=str(uuid.uuid4()),
        kind=RecordalKind.TRANSFER,
        right_number=patent,
        parties=(Holder(STRANGER.name, STRANGER.uscc),),
        pledgee_consent=True,
        recorded_at=T0,
        pledge_registration_number="Y2026000001",
    )


async def test_a_recordal_is_kept_with_its_commit_and_once(backend: Backend) -> None:
    kept, dropped = transfer(), transfer()
    async with backend.unit_of_work() as uow:
        await uow.recordals.add(kept)
        await uow.commit()
    async with backend.unit_of_work() as uow:
        await uow.recordals.add(dropped)

    async def record_again() -> None:
        async with backend.unit_of_work() as uow:
            await uow.recordals.add(kept)
            await uow.commit()

    await conflict_of(record_again)
    assert await backend.recordals() == [kept.recordal_id]


# The public register


def gazette_lines(
    filing: PledgeFiling, at: datetime, entry_type: EntryType = EntryType.REGISTRATION
) -> list[RegisterEntry]:
    assert filing.registration_number is not None
    return [
        RegisterEntry(
            entry_type=entry_type,
            registration_number=filing.registration_number,
            filing_id=filing.filing_id,
            right_number=number,
            right_kind="patent" if number != MARK.number else "trademark",
            main_ipc="H01M 50/403" if number != MARK.number else None,
            grant_date=date(2019, 5, 10) if number != MARK.number else None,
            pledgor=filing.data.pledgor,
            pledgee=filing.data.pledgee,
            registration_date=date(2026, 3, 2),
            entered_at=at,
            reason="debt_repaid" if entry_type is EntryType.CANCELLATION else None,
            changed=("secured_amount",) if entry_type is EntryType.CHANGE else (),
        )
        for number in filing.data.rights
    ]


async def search(uow: RegistryUnitOfWork, **query: Any) -> tuple[int, list[RegisterEntry]]:
    filters: dict[str, Any] = {"right": None, "party_uscc": None, "since": None, "until": None}
    return await uow.gazette.search(**(filters | {"limit": 50, "offset": 0} | query))


@dataclass(frozen=True)
class Gazette:
    mixed: PledgeFiling
    other: PledgeFiling
    lines: list[RegisterEntry]


@pytest.fixture
async def gazette(backend: Backend) -> Gazette:
    """A patent and a mark pledged together; another patent to another bank, changed a day
    later and cancelled two days later."""
    mixed = registered("Y2026000001", PATENT, MARK.number)
    other = registered("Y2026000002", UTILITY.number)
    other.data = replace(other.data, pledgee=OTHER_BANK)
    day = timedelta(days=1)
    batches = [
        gazette_lines(mixed, T0),
        gazette_lines(other, T0),
        gazette_lines(other, T0 + day, EntryType.CHANGE),
        gazette_lines(other, T0 + 2 * day, EntryType.CANCELLATION),
    ]
    for batch in batches:
        async with backend.unit_of_work() as uow:
            await uow.gazette.add(batch)
            await uow.gazette.add([])
            await uow.commit()
    return Gazette(mixed, other, [line for batch in batches for line in batch])


def listed(entries: list[RegisterEntry]) -> list[tuple[str, str, str]]:
    return [(e.entry_type.value, e.right_number, e.registration_number) for e in entries]


async def test_the_register_lists_every_entry_newest_first(
    backend: Backend, gazette: Gazette
) -> None:
    async with backend.unit_of_work() as uow:
        total, entries = await search(uow)

    assert total == 5
    assert listed(entries) == [
        ("cancellation", UTILITY.number, "Y2026000002"),
        ("change", UTILITY.number, "Y2026000002"),
        ("registration", PATENT, "Y2026000001"),
        ("registration", MARK.number, "Y2026000001"),
        ("registration", UTILITY.number, "Y2026000002"),
    ]


async def test_register_entries_read_back_with_the_parties_by_name_and_uscc(
    backend: Backend, gazette: Gazette
) -> None:
    async with backend.unit_of_work() as uow:
        _, entries = await search(uow, right=UTILITY.number)

    cancellation, change, registration = entries
    expected = [
        replace(
            line,
            pledgor=Party(line.pledgor.name, line.pledgor.uscc, ""),
            pledgee=Party(line.pledgee.name, line.pledgee.uscc, ""),
        )
        for line in reversed(gazette.lines)
        if line.right_number == UTILITY.number
    ]
    assert [cancellation, change, registration] == expected
    assert (cancellation.reason, change.changed) == ("debt_repaid", ("secured_amount",))


async def test_register_entries_are_found_by_right_party_and_period_a_page_at_a_time(
    backend: Backend, gazette: Gazette
) -> None:
    day = timedelta(days=1)
    async with backend.unit_of_work() as uow:
        by_mark = await search(uow, right=MARK.number)
        by_other_bank = await search(uow, party_uscc=OTHER_BANK.uscc)
        by_pledgor = await search(uow, party_uscc=PATENTEE.uscc, limit=2, offset=1)
        nobody = await search(uow, party_uscc=STRANGER.uscc)
        second_day = await search(uow, since=T0 + day, until=T0 + 2 * day)
        from_second_day = await search(uow, since=T0 + day)
        first_day = await search(uow, until=T0 + day)
        both = await search(uow, right=UTILITY.number, since=T0 + day)

    assert (by_mark[0], listed(by_mark[1])) == (1, [("registration", MARK.number, "Y2026000001")])
    assert by_other_bank[0] == 3
    assert by_pledgor[0] == 5
    assert listed(by_pledgor[1]) == [
        ("change", UTILITY.number, "Y2026000002"),
        ("registration", PATENT, "Y2026000001"),
    ]
    assert nobody == (0, [])
    assert listed(second_day[1]) == [("change", UTILITY.number, "Y2026000002")]
    assert from_second_day[0] == 2
    assert first_day[0] == 3
    assert [e.entry_type for e in both[1]] == [EntryType.CANCELLATION, EntryType.CHANGE]


# Deduplication records


async def test_an_event_is_claimed_once(backend: Backend) -> None:
    event = Dedup.of_event("registry.filings", str(uuid.uuid4()), "credit.pledge_filing.requested")
    async with backend.unit_of_work() as uow:
        assert await uow.seen_before(event) is None
        await uow.commit()

    async with backend.unit_of_work() as uow:
        assert await uow.seen_before(event) is not None


async def test_a_request_is_remembered_with_what_it_made(backend: Backend) -> None:
    request = Dedup.of_request("bank-hangzhou", "key-1", {"secured_amount": "300000.00"})
    async with backend.unit_of_work() as uow:
        assert await uow.seen_before(request) is None
        await uow.remember(request, "filing-1")
        await uow.commit()

    async with backend.unit_of_work() as uow:
        earlier = await uow.seen_before(request)
    assert earlier is not None
    assert (earlier.fingerprint, earlier.resource_id) == (request.fingerprint, "filing-1")


async def test_a_request_remembered_concurrently_is_a_conflict(backend: Backend) -> None:
    backend.concurrently()
    request = Dedup.of_request("bank-hangzhou", "key-1", {"secured_amount": "300000.00"})
    async with backend.unit_of_work() as first, backend.unit_of_work() as second:
        assert await first.seen_before(request) is None
        assert await second.seen_before(request) is None
        await first.remember(request, "filing-1")
        await first.commit()

        async def remember_too() -> None:
            await second.remember(request, "filing-2")
            await second.commit()

        await conflict_of(remember_too)
