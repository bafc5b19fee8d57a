"""In-memory fakes of the registry's unit of work and repositories.

They keep the promises of the SQL ones (`services.registry.service_layer.ports`): a unit of
work reads what others committed meanwhile, sees its own writes, and commits all of them with
the events of the aggregates it saw and its deduplication record, or none; leaving without a
commit rolls back. A right is held by one active pledge at a time, a filing saved over a newer
version is refused, registration numbers run on per year. A write that lost a race is a write
conflict the message bus tries again. The contract tests in `tests/contract/test_registry_*.py`
run the same tests against these fakes, PostgreSQL and SQLite.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Generic, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from services.registry.domain.calendar import OfficialYear
from services.registry.domain.gazette import RegisterEntry
from services.registry.domain.pledge import CLOCK_RUNNING, FilingStatus, PledgeFiling
from services.registry.domain.recordal import Recordal
from services.registry.domain.register import Patent, Trademark
from services.registry.domain.rights import RightEntry
from shared.calendars import StoredSchedule
from tests.fakes.base import (
    FakeDatabase,
    FakeTable,
    Staged,
    StagedUnitOfWork,
    Tracking,
    duplicate_key,
    stored_copy,
)

R = TypeVar("R", Patent, Trademark)


@dataclass(frozen=True)
class Entered(Generic[R]):
    """A right's row on the register: its facts and the version of its entry."""

    right: R
    version: int


@dataclass(frozen=True)
class HeldRight:
    """A right held by an active pledge."""

    registration_number: str
    filing_id: str


class FakeRegistryDatabase(FakeDatabase):
    """What the registry's database holds, in memory: committed rows and the outbox."""

    def __init__(self) -> None:
        super().__init__("registry")
        self.patents: FakeTable[str, Entered[Patent]] = FakeTable()
        self.trademarks: FakeTable[str, Entered[Trademark]] = FakeTable()
        self.filings: FakeTable[str, PledgeFiling] = FakeTable(
            unique=lambda filing: filing.registration_number
        )
        self.pledged_rights: FakeTable[str, HeldRight] = FakeTable()
        self.registration_counters: FakeTable[int, int] = FakeTable()
        self.schedules: FakeTable[tuple[int, int], StoredSchedule] = FakeTable()
        self.recordals: FakeTable[str, Recordal] = FakeTable()
        self.register_entries: FakeTable[int, RegisterEntry] = FakeTable()
        self._entry_ids = itertools.count(1)

    def unit_of_work(self) -> FakeRegistryUnitOfWork:
        """A fresh unit of work on this database."""
        return FakeRegistryUnitOfWork(self)

    def next_entry_id(self) -> int:
        """The identity of a new register entry, as the database's sequence hands it out."""
        return next(self._entry_ids)


class FakeRegisterRepository(Tracking):
    """Patents and trademarks on the register, in memory."""

    def __init__(
        self, patents: Staged[str, Entered[Patent]], trademarks: Staged[str, Entered[Trademark]]
    ) -> None:
        super().__init__()
        self._patents = patents
        self._trademarks = trademarks
        self._stored: dict[str, bool] = {}

    async def patents(self, numbers: tuple[str, ...]) -> dict[str, Patent]:
        return {n: found.right for n in numbers if (found := self._patents.get(n))}

    async def trademarks(self, numbers: tuple[str, ...]) -> dict[str, Trademark]:
        return {n: found.right for n in numbers if (found := self._trademarks.get(n))}

    async def marks_of(self, owner_uscc: str) -> list[Trademark]:
        marks = [entered.right for entered in self._trademarks.values()]
        return sorted((m for m in marks if m.owner.uscc == owner_uscc), key=lambda m: m.number)

    async def same_day_twins(self, pledged: dict[str, Patent]) -> dict[str, Patent]:
        named = {p.same_day_twin for p in pledged.values() if p.same_day_twin}
        every = sorted((e.right for e in self._patents.values()), key=lambda p: p.number)
        found = [p for p in every if p.number in named or p.same_day_twin in pledged]
        by_number = {twin.number: twin for twin in found}
        naming = {twin.same_day_twin: twin for twin in found if twin.same_day_twin}
        twins = {}
        for number, patent in pledged.items():
            twin = by_number.get(patent.same_day_twin or "") or naming.get(number)
            if twin is not None and twin.number != number:
                twins[number] = twin
        return twins

    async def entry(self, number: str, kind: str) -> RightEntry:
        table: Staged[str, Entered[Patent]] | Staged[str, Entered[Trademark]]
        table = self._patents if kind == "patent" else self._trademarks
        stored = table.get(number)
        self._stored[number] = stored is not None
        return self._seen(RightEntry(number, version=stored.version if stored else 0))

    async def save_entry(self, entry: RightEntry) -> None:
        right = entry.right
        if right is None:
            return
        if isinstance(right, Patent):
            self._write(self._patents, entry.number, Entered(right, entry.version))
        else:
            self._write(self._trademarks, entry.number, Entered(right, entry.version))

    def _write(self, table: Staged[str, Entered[R]], number: str, row: Entered[R]) -> None:
        if self._stored.get(number):
            table.update(number, row)
        elif table.get(number) is not None:
            raise duplicate_key(f"right {number}")
        else:
            table.insert(number, row)
            self._stored[number] = True


PLEDGED = (FilingStatus.REGISTERED, FilingStatus.CANCELLED)


class FakeFilingRepository(Tracking):
    """Pledge filings, registration numbers and the one-active-pledge-per-right index."""

    def __init__(
        self,
        filings: Staged[str, PledgeFiling],
        held: Staged[str, HeldRight],
        counters: Staged[int, int],
    ) -> None:
        super().__init__()
        self._filings = filings
        self._held = held
        self._counters = counters
        self._loaded: dict[str, int] = {}

    def _load(self, filing: PledgeFiling) -> PledgeFiling:
        self._loaded[filing.filing_id] = filing.version
        return self._seen(filing)

    def _every(self, keep: Callable[[PledgeFiling], bool]) -> list[PledgeFiling]:
        return [filing for filing in self._filings.values() if keep(filing)]

    async def get(self, filing_id: str) -> PledgeFiling | None:
        found = self._filings.get(filing_id)
        return None if found is None else self._load(found)

    async def by_reference(self, channel: str, filing_reference: str) -> PledgeFiling | None:
        sent = self._every(
            lambda f: f.channel == channel and f.filing_reference == filing_reference
        )
        return self._load(min(sent, key=lambda f: f.received_at)) if sent else None

    async def by_registration_number(self, registration_number: str) -> PledgeFiling | None:
        found = self._every(lambda f: f.registration_number == registration_number)
        return self._load(found[0]) if found else None

    async def active_pledges(self, numbers: tuple[str, ...]) -> dict[str, str]:
        return {n: held.registration_number for n in numbers if (held := self._held.get(n))}

    async def hold_rights(self, filing: PledgeFiling) -> None:
        assert filing.registration_number is not None
        rights = filing.data.rights
        taken = [n for n in rights if self._held.get(n) is not None]
        if taken or len(set(rights)) != len(rights):
            raise duplicate_key(f"pledged right {(taken or list(rights))[0]}")
        for number in rights:
            self._held.insert(number, HeldRight(filing.registration_number, filing.filing_id))

    async def release_rights(self, filing: PledgeFiling) -> None:
        for number in self._held.keys():
            held = self._held.get(number)
            if held is not None and held.registration_number == filing.registration_number:
                self._held.delete(number)

    async def try_hold_rights(self, filing: PledgeFiling) -> bool:
        if any(self._held.get(number) is not None for number in filing.data.rights):
            return False
        await self.hold_rights(filing)
        return True

    async def examination_queue(self, limit: int, offset: int) -> tuple[int, list[PledgeFiling]]:
        waiting = self._every(lambda f: f.status is FilingStatus.IN_EXAMINATION)
        waiting.sort(key=lambda f: (f.deadline_at, f.received_at, f.filing_id))
        return len(waiting), waiting[offset : offset + limit]

    async def overdue_unflagged(self, now: datetime, limit: int) -> list[str]:
        overdue = self._every(
            lambda f: (
                f.status in CLOCK_RUNNING
                and f.deadline_at < now
                and f.sla_breached_at is None
                and not f.deadline_provisional
            )
        )
        overdue.sort(key=lambda f: (f.deadline_at, f.filing_id))
        return [f.filing_id for f in overdue[:limit]]

    async def running_deadlines_from(self, since: datetime) -> list[PledgeFiling]:
        running = self._every(lambda f: f.status in CLOCK_RUNNING and f.deadline_at >= since)
        running.sort(key=lambda f: (f.deadline_at, f.filing_id))
        return [self._load(filing) for filing in running]

    async def received_between(
        self, since: datetime | None, until: datetime | None
    ) -> list[PledgeFiling]:
        received = self._every(
            lambda f: (
                (since is None or f.received_at >= since)
                and (until is None or f.received_at < until)
            )
        )
        return sorted(received, key=lambda f: f.received_at)

    async def pledges_to(
        self, pledgee_uscc: str, after: str, limit: int, active_only: bool = False
    ) -> list[PledgeFiling]:
        statuses = (FilingStatus.REGISTERED,) if active_only else PLEDGED
        pledged = self._every(
            lambda f: (
                f.status in statuses
                and f.data.pledgee.uscc == pledgee_uscc
                and (f.registration_number or "") > after
            )
        )
        return sorted(pledged, key=lambda f: f.registration_number or "")[:limit]

    async def next_registration_number(self, on: date) -> str:
        value = (self._counters.get(on.year) or 0) + 1
        self._counters.upsert(on.year, value)
        return f"Y{on.year}{value:06d}"

    async def save(self, filing: PledgeFiling) -> None:
        self._seen(filing)
        previous = self._loaded.get(filing.filing_id)
        current = self._filings.get(filing.filing_id)
        if previous is None:
            if current is not None:
                raise duplicate_key(f"filing {filing.filing_id}")
            self._filings.insert(filing.filing_id, stored_copy(filing))
        else:
            if current is None or current.version != previous:
                raise StaleDataError(f"filing {filing.filing_id} was changed concurrently")
            self._filings.update(filing.filing_id, stored_copy(filing))
        self._loaded[filing.filing_id] = filing.version


class FakeOfficialYears(Tracking):
    """Each year's published schedule versions, in memory."""

    def __init__(self, schedules: Staged[tuple[int, int], StoredSchedule]) -> None:
        super().__init__()
        self._schedules = schedules

    def _versions(self, year: int) -> list[StoredSchedule]:
        found = [s for s in self._schedules.values() if s.year == year]
        return sorted(found, key=lambda s: s.version)

    async def year(self, year: int) -> OfficialYear:
        versions = self._versions(year)
        return self._seen(OfficialYear(year, version=versions[-1].version if versions else 0))

    async def add(self, stored: StoredSchedule) -> None:
        assert stored.schedule.notice is not None
        key = (stored.year, stored.version)
        if self._schedules.get(key) is not None:
            raise duplicate_key(f"calendar {key}")
        self._schedules.insert(key, replace(stored, entered_at=stored.entered_at.astimezone(UTC)))

    async def in_force(self) -> list[StoredSchedule]:
        years = sorted({year for year, _ in self._schedules.keys()})
        return [self._versions(year)[-1] for year in years if self._versions(year)]

    async def history(self, year: int) -> list[StoredSchedule]:
        return self._versions(year)


class FakeRecordalRepository:
    """Recordals of transfers and licences, in memory."""

    def __init__(self, recordals: Staged[str, Recordal]) -> None:
        self._recordals = recordals

    async def add(self, recordal: Recordal) -> None:
        if self._recordals.get(recordal.recordal_id) is not None:
            raise duplicate_key(f"recordal {recordal.recordal_id}")
        self._recordals.insert(recordal.recordal_id, recordal)


class FakeGazetteRepository:
    """Register entries in memory, newest first; the rights of one entry in filing order."""

    def __init__(self, entries: Staged[int, RegisterEntry], next_id: Callable[[], int]) -> None:
        self._entries = entries
        self._next_id = next_id

    async def add(self, entries: Sequence[RegisterEntry]) -> None:
        for entry in entries:
            self._entries.insert(self._next_id(), entry)

    async def search(
        self,
        *,
        right: str | None,
        party_uscc: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[RegisterEntry]]:
        def matches(entry: RegisterEntry) -> bool:
            return (
                (right is None or entry.right_number == right)
                and (party_uscc is None or party_uscc in (entry.pledgor.uscc, entry.pledgee.uscc))
                and (since is None or entry.entered_at >= since)
                and (until is None or entry.entered_at < until)
            )

        ids = sorted(self._entries.keys())
        found = [e for i in ids if (e := self._entries.get(i)) is not None and matches(e)]
        found.sort(key=lambda entry: entry.entered_at, reverse=True)
        page = [_as_listed(entry) for entry in found[offset : offset + limit]]
        return len(found), page


def _as_listed(entry: RegisterEntry) -> RegisterEntry:
    """An entry as the register lists it: the parties by name and USCC only."""
    return replace(
        entry,
        pledgor=replace(entry.pledgor, address=""),
        pledgee=replace(entry.pledgee, address=""),
    )


class FakeRegistryUnitOfWork(StagedUnitOfWork):
    """One transaction on a `FakeRegistryDatabase`, with every repository of the registry."""

    database: FakeRegistryDatabase
    register: FakeRegisterRepository
    filings: FakeFilingRepository
    calendar: FakeOfficialYears
    recordals: FakeRecordalRepository
    gazette: FakeGazetteRepository

    def __init__(self, database: FakeRegistryDatabase) -> None:
        super().__init__(database)

    def open(self) -> None:
        db = self.database
        self.register = self.track(
            FakeRegisterRepository(self.stage(db.patents), self.stage(db.trademarks))
        )
        self.filings = self.track(
            FakeFilingRepository(
                self.stage(db.filings),
                self.stage(db.pledged_rights),
                self.stage(db.registration_counters),
            )
        )
        self.calendar = self.track(FakeOfficialYears(self.stage(db.schedules)))
        self.recordals = FakeRecordalRepository(self.stage(db.recordals))
        self.gazette = FakeGazetteRepository(self.stage(db.register_entries), db.next_entry_id)
