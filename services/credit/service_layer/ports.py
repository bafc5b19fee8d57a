"""What credit's handlers need from storage: the unit of work and its repositories.

The adapters implement these on SQL; the tests implement them in memory, and one contract
suite runs the same tests against both.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from services.credit.domain.loan import Loan, LoanStatus
from services.credit.domain.records import QuotaMovement, QuotaState, StoredTerms, TimeoutKind
from services.credit.domain.statistics import DisbursedLoan
from shared.calendars import StoredSchedule
from shared.messagebus import UnitOfWork


class LoanRepository(Protocol):
    """Loans; a save that lost a race to a concurrent writer raises a write conflict."""

    async def add(self, loan: Loan) -> None:
        """Store a new loan."""
        ...

    async def get(self, loan_id: str, *, for_update: bool = False) -> Loan | None:
        """The loan, or None."""
        ...

    async def by_registration_number(self, registration_number: str) -> Loan | None:
        """The loan a registered pledge secures (or was released as void)."""
        ...

    async def with_status(self, status: LoanStatus, bank_id: str | None = None) -> list[Loan]:
        """Loans in one status, oldest decision first."""
        ...

    async def list_for_bank(
        self, bank_id: str, limit: int, offset: int, status: str | None = None
    ) -> tuple[int, list[Loan]]:
        """One page of a bank's loans, newest first, with how many there are in all."""
        ...

    async def pending_deadlines_from(self, kind: TimeoutKind, since: datetime) -> list[Loan]:
        """Loans with a pending deadline of `kind` at or after `since`."""
        ...

    async def with_due_timeouts(self, now: datetime, limit: int = 100) -> list[str]:
        """Ids of loans with a deadline that is due and neither fired nor cancelled."""
        ...

    async def save(self, loan: Loan) -> None:
        """Store a loaded loan's changes, unless someone changed it meanwhile."""
        ...


class QuotaRepository(Protocol):
    """Each bank's IP-loan quota, never overdrawn by concurrent reservations."""

    async def reserve(self, bank_id: str, total: Decimal, amount: Decimal) -> bool:
        """Reserve `amount` if the quota still covers it; False when it does not."""
        ...

    async def settle(self, bank_id: str, movement: QuotaMovement) -> None:
        """Leave a reservation, moving `consume` into the consumed amount."""
        ...

    async def set_total(self, bank_id: str, total: Decimal, revision: int) -> None:
        """Make the total of a revision of the lending terms the one in force, unless the total
        in force comes from a later revision."""
        ...

    async def get(self, bank_id: str) -> QuotaState | None:
        """One bank's quota."""
        ...

    async def all(self) -> list[QuotaState]:
        """Every bank's quota."""
        ...


class ReportQueries(Protocol):
    """Read-only figures for the credit desk's reports."""

    async def disbursed_between(
        self, start: datetime | None, end: datetime | None, bank_id: str | None
    ) -> list[DisbursedLoan]:
        """Loans disbursed in [start, end), whatever happened to them since."""
        ...

    async def decline_reasons_between(
        self, start: datetime | None, end: datetime | None, bank_id: str | None
    ) -> list[list[str]]:
        """The reasons of each loan declined in [start, end)."""
        ...


class ScheduleStore(Protocol):
    """The calendar schedules credit received from the registry, every version."""

    async def latest(self, year: int) -> StoredSchedule | None: ...

    async def in_force(self) -> list[StoredSchedule]: ...

    async def add(self, stored: StoredSchedule) -> None: ...


class LendingTermsStore(Protocol):
    """The revisions of the banks' lending terms replicas started with."""

    async def newest(self) -> StoredTerms | None:
        """The highest revision stored, if any."""
        ...

    async def add(self, terms: StoredTerms) -> bool:
        """Store a revision unless it is stored already; True if this call stored it."""
        ...


class CreditUnitOfWork(UnitOfWork, Protocol):
    """Credit's transaction: loans, quotas and reports on one unit of work."""

    @property
    def loans(self) -> LoanRepository: ...

    @property
    def quotas(self) -> QuotaRepository: ...

    @property
    def reports(self) -> ReportQueries: ...

    @property
    def calendar(self) -> ScheduleStore: ...

    @property
    def terms(self) -> LendingTermsStore: ...
