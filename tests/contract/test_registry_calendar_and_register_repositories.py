"""The registry's calendar versions, recordals and public register: the same tests on the
in-memory fakes, on PostgreSQL and on SQLite with the real migrations (the storage under test:
registry_backends.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.registry.domain.filing import Party
from services.registry.domain.gazette import EntryType, RegisterEntry
from services.registry.domain.pledge import PledgeFiling
from services.registry.domain.recordal import Recordal, RecordalKind
from services.registry.domain.register import Holder
from shared.calendars import StoredSchedule
from shared.holidays import provisional_days_off
from shared.workdays import Notice, YearSchedule
from tests.contract.registry_backends import (
    OTHER_BANK,
    PATENT,
    T0,
    Backend,
    backend,
    gazette_lines,
    postgres_backend,
    postgres_database,
    registered,
    search,
    sqlite_backend,
    sqlite_database,
)
from tests.contract.storage import conflict_of
from tests.unit.test_registry_checks import (
    MARK,
    PATENTEE,
    STRANGER,
    UTILITY,
)

__all__ = ["backend", "postgres_backend", "postgres_database", "sqlite_backend", "sqlite_database"]


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
