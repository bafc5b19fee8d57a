"""What the registry's handlers need from storage: the unit of work and its repositories.

The adapters implement these on SQL; fakes implement them in memory for fast tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from services.registry.domain.calendar import OfficialYear
from services.registry.domain.gazette import RegisterEntry
from services.registry.domain.pledge import PledgeFiling
from services.registry.domain.recordal import Recordal
from services.registry.domain.register import Patent, Trademark
from services.registry.domain.rights import RightEntry
from shared.calendars import StoredSchedule
from shared.messagebus import UnitOfWork


class RegisterRepository(Protocol):
    """Patents and trademarks on the register."""

    async def patents(self, numbers: tuple[str, ...]) -> dict[str, Patent]: ...

    async def trademarks(self, numbers: tuple[str, ...]) -> dict[str, Trademark]: ...

    async def marks_of(self, owner_uscc: str) -> list[Trademark]: ...

    async def same_day_twins(self, pledged: dict[str, Patent]) -> dict[str, Patent]:
        """The entry linked as filed the same day with each pledged patent, either way round."""
        ...

    async def entry(self, number: str, kind: str) -> RightEntry:
        """The entry of a right, held until the transaction ends; a new one if none exists."""
        ...

    async def save_entry(self, entry: RightEntry) -> None: ...


class FilingRepository(Protocol):
    """Pledge filings, registration numbers, and the one-active-pledge-per-right index."""

    async def get(self, filing_id: str) -> PledgeFiling | None: ...

    async def by_reference(self, channel: str, filing_reference: str) -> PledgeFiling | None: ...

    async def by_registration_number(self, registration_number: str) -> PledgeFiling | None: ...

    async def active_pledges(self, numbers: tuple[str, ...]) -> dict[str, str]: ...

    async def hold_rights(self, filing: PledgeFiling) -> None: ...

    async def release_rights(self, filing: PledgeFiling) -> None: ...

    async def try_hold_rights(self, filing: PledgeFiling) -> bool: ...

    async def examination_queue(
        self, limit: int, offset: int
    ) -> tuple[int, list[PledgeFiling]]: ...

    async def overdue_unflagged(self, now: datetime, limit: int) -> list[str]: ...

    async def running_deadlines_from(self, since: datetime) -> list[PledgeFiling]: ...

    async def received_between(
        self, since: datetime | None, until: datetime | None
    ) -> list[PledgeFiling]: ...

    async def pledges_to(
        self, pledgee_uscc: str, after: str, limit: int, active_only: bool = False
    ) -> list[PledgeFiling]:
        """Pledges registered to a pledgee (active or also cancelled), after a number."""
        ...

    async def next_registration_number(self, on: date) -> str: ...

    async def save(self, filing: PledgeFiling) -> None: ...


class CalendarRepository(Protocol):
    """The official working-day schedules the registry office published, every version."""

    async def year(self, year: int) -> OfficialYear: ...

    async def add(self, stored: StoredSchedule) -> None: ...

    async def in_force(self) -> list[StoredSchedule]: ...

    async def history(self, year: int) -> list[StoredSchedule]: ...


class RecordalRepository(Protocol):
    async def add(self, recordal: Recordal) -> None: ...


class GazetteRepository(Protocol):
    async def add(self, entries: Sequence[RegisterEntry]) -> None: ...

    async def search(
        self,
        *,
        right: str | None,
        party_uscc: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[RegisterEntry]]: ...


class RegistryUnitOfWork(UnitOfWork, Protocol):
    """The registry's transaction: every repository of the registry on one unit of work."""

    @property
    def register(self) -> RegisterRepository: ...

    @property
    def filings(self) -> FilingRepository: ...

    @property
    def calendar(self) -> CalendarRepository: ...

    @property
    def recordals(self) -> RecordalRepository: ...

    @property
    def gazette(self) -> GazetteRepository: ...
