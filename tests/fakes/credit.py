"""Credit's storage in memory: loans, quotas and reports behind credit's ports."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Self

from sqlalchemy.orm.exc import StaleDataError

from services.credit.domain.loan import Loan, LoanStatus
from services.credit.domain.records import QuotaMovement, QuotaState, StoredTerms, TimeoutKind
from services.credit.domain.statistics import DisbursedLoan
from shared.calendars import StoredSchedule
from tests.fakes.base import FakeRepository, FakeUnitOfWork, Store, duplicate_key

ZERO = Decimal("0.00")


class FakeLoanRepository(FakeRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "loans")
        self._loaded: dict[str, int] = {}

    def _load(self, loan: Loan) -> Loan:
        found = copy.deepcopy(loan)
        self._loaded[found.loan_id] = found.version
        return self._seen(found)

    async def add(self, loan: Loan) -> None:
        if loan.loan_id in self.rows:
            raise duplicate_key(loan.loan_id)
        await self.save(loan)

    async def get(self, loan_id: str, *, for_update: bool = False) -> Loan | None:
        loan = self.rows.get(loan_id)
        return None if loan is None else self._load(loan)

    async def by_registration_number(self, registration_number: str) -> Loan | None:
        for loan in self.rows.values():
            if registration_number in (
                loan.pledge_registration_number,
                loan.stray_pledge_registration_number,
            ):
                return self._load(loan)
        return None

    async def with_status(self, status: LoanStatus, bank_id: str | None = None) -> list[Loan]:
        found = [
            loan
            for loan in self.rows.values()
            if loan.status is status and bank_id in (None, loan.bank_id)
        ]
        found.sort(key=lambda loan: (loan.decided_at or loan.submitted_at, loan.loan_id))
        return [self._load(loan) for loan in found]

    async def list_for_bank(
        self, bank_id: str, limit: int, offset: int, status: str | None = None
    ) -> tuple[int, list[Loan]]:
        found = [
            loan
            for loan in self.rows.values()
            if loan.bank_id == bank_id and status in (None, loan.status.value)
        ]
        found.sort(key=lambda loan: loan.loan_id)
        found.sort(key=lambda loan: loan.submitted_at, reverse=True)
        return len(found), [self._load(loan) for loan in found[offset : offset + limit]]

    async def pending_deadlines_from(self, kind: TimeoutKind, since: datetime) -> list[Loan]:
        found = [
            loan
            for loan in self.rows.values()
            if any(t.kind is kind and t.pending and t.due_at >= since for t in loan.timeouts)
        ]
        return [self._load(loan) for loan in sorted(found, key=lambda loan: loan.loan_id)]

    async def with_due_timeouts(self, now: datetime, limit: int = 100) -> list[str]:
        due = sorted(
            (timeout.due_at, loan.loan_id)
            for loan in self.rows.values()
            for timeout in loan.timeouts
            if timeout.pending and timeout.due_at <= now
        )
        return list(dict.fromkeys(loan_id for _, loan_id in due))[:limit]

    async def save(self, loan: Loan) -> None:
        self._seen(loan)
        stored = self.committed.get(loan.loan_id)
        previous = self._loaded.get(loan.loan_id)
        if stored is not None and previous is not None and stored.version != previous:
            raise StaleDataError(f"loan {loan.loan_id} was changed concurrently")
        kept = copy.deepcopy(loan)
        kept.pending_events.clear()
        kept.pending_quota.clear()
        self.rows[loan.loan_id] = kept
        self._loaded[loan.loan_id] = loan.version


class FakeQuotaRepository(FakeRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "quotas")

    async def reserve(self, bank_id: str, total: Decimal, amount: Decimal) -> bool:
        state = self.rows.get(bank_id) or QuotaState(bank_id, total, ZERO, ZERO)
        if state.available < amount:
            self.rows[bank_id] = state
            return False
        self.rows[bank_id] = QuotaState(
            bank_id, state.total, state.reserved + amount, state.consumed
        )
        return True

    async def settle(self, bank_id: str, movement: QuotaMovement) -> None:
        state = self.rows.get(bank_id)
        if state is None or state.reserved < movement.release:
            raise ValueError(f"bank {bank_id} holds no reservation of {movement.release}")
        self.rows[bank_id] = QuotaState(
            bank_id,
            state.total,
            state.reserved - movement.release,
            state.consumed + movement.consume,
        )

    async def set_total(self, bank_id: str, total: Decimal, revision: int) -> None:
        revisions = self._uow.working("quota_revisions")
        if revisions.get(bank_id, 0) > revision:
            return
        revisions[bank_id] = revision
        state = self.rows.get(bank_id)
        reserved, consumed = (state.reserved, state.consumed) if state else (ZERO, ZERO)
        self.rows[bank_id] = QuotaState(bank_id, total, reserved, consumed)

    async def get(self, bank_id: str) -> QuotaState | None:
        return self.rows.get(bank_id)

    async def all(self) -> list[QuotaState]:
        return [self.rows[bank_id] for bank_id in sorted(self.rows)]


class FakeReports:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def _loans(self, bank_id: str | None) -> list[Loan]:
        loans: dict[str, Loan] = self._uow.working("loans")
        return [loan for loan in loans.values() if bank_id in (None, loan.bank_id)]

    async def disbursed_between(
        self, start: datetime | None, end: datetime | None, bank_id: str | None
    ) -> list[DisbursedLoan]:
        return [
            DisbursedLoan(
                enterprise_uscc=loan.enterprise.uscc,
                amount=loan.approved_amount or ZERO,
                inclusive=loan.inclusive,
                submitted_at=loan.submitted_at,
                disbursed_at=loan.disbursed_at,
            )
            for loan in self._loans(bank_id)
            if loan.disbursed_at is not None
            and (start is None or loan.disbursed_at >= start)
            and (end is None or loan.disbursed_at < end)
        ]

    async def decline_reasons_between(
        self, start: datetime | None, end: datetime | None, bank_id: str | None
    ) -> list[list[str]]:
        return [
            list(loan.decision_reasons)
            for loan in self._loans(bank_id)
            if loan.status is LoanStatus.DECLINED
            and loan.decided_at is not None
            and (start is None or loan.decided_at >= start)
            and (end is None or loan.decided_at < end)
        ]


class FakeScheduleStore(FakeRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "calendar_schedules")

    async def latest(self, year: int) -> StoredSchedule | None:
        versions = [s for (y, _), s in self.rows.items() if y == year]
        return max(versions, key=lambda s: s.version) if versions else None

    async def in_force(self) -> list[StoredSchedule]:
        found = [await self.latest(year) for year in sorted({year for year, _ in self.rows})]
        return [stored for stored in found if stored is not None]

    async def add(self, stored: StoredSchedule) -> None:
        key = (stored.year, stored.version)
        if key in self.committed or key in self.rows:
            raise duplicate_key(f"calendar {key}")
        self.rows[key] = stored


class FakeLendingTermsStore(FakeRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "lending_terms")

    async def newest(self) -> StoredTerms | None:
        return self.rows[max(self.rows)] if self.rows else None

    async def add(self, terms: StoredTerms) -> bool:
        if terms.revision in self.rows:
            return False
        self.rows[terms.revision] = terms
        return True


class FakeCreditUnitOfWork(FakeUnitOfWork):
    loans: FakeLoanRepository
    quotas: FakeQuotaRepository
    reports: FakeReports
    calendar: FakeScheduleStore
    terms: FakeLendingTermsStore

    def __init__(self, store: Store) -> None:
        super().__init__(store, producer="credit")

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self._repositories = []
        self.loans = self.repository(FakeLoanRepository(self))
        self.quotas = FakeQuotaRepository(self)
        self.reports = FakeReports(self)
        self.calendar = FakeScheduleStore(self)
        self.terms = FakeLendingTermsStore(self)
        return self

    async def before_commit(self) -> None:
        for loan in self.loans.seen:
            if isinstance(loan, Loan):
                for movement in loan.collect_quota_movements():
                    await self.quotas.settle(loan.bank_id, movement)
