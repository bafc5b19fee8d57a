"""Loans in and out of the database, with optimistic concurrency on the version.

A loan's deadlines (`timeouts`) and repayments are child rows saved with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from services.credit.adapters.mapping import (
    loan_from_row,
    loan_to_row,
    repayment_from_row,
    timeout_from_row,
)
from services.credit.adapters.orm import loans, repayments, timeouts
from services.credit.domain.loan import Loan, LoanStatus
from services.credit.domain.records import LoanTimeout, Repayment, TimeoutKind
from shared.uow import TrackingRepository


class SqlLoanRepository(TrackingRepository):
    """Loads and saves loans; a save that lost a race raises `StaleDataError`."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._loaded: dict[str, int] = {}
        self._stored_timeouts: dict[str, dict[str, dict[str, Any]]] = {}
        self._stored_repayments: dict[str, set[str]] = {}

    async def get(self, loan_id: str, *, for_update: bool = False) -> Loan | None:
        """The loan, or None."""
        query = select(loans).where(loans.c.loan_id == loan_id)
        if for_update:
            query = query.with_for_update()
        found = await self._load(query)
        return found[0] if found else None

    async def by_registration_number(self, registration_number: str) -> Loan | None:
        """The loan a registered pledge secures (or was released as void)."""
        query = select(loans).where(
            (loans.c.pledge_registration_number == registration_number)
            | (loans.c.stray_pledge_registration_number == registration_number)
        )
        found = await self._load(query)
        return found[0] if found else None

    async def with_status(self, status: LoanStatus, bank_id: str | None = None) -> list[Loan]:
        """Loans in one status, oldest decision first."""
        query = select(loans).where(loans.c.status == status.value)
        if bank_id is not None:
            query = query.where(loans.c.bank_id == bank_id)
        return await self._load(query.order_by(loans.c.decided_at, loans.c.loan_id))

    async def list_for_bank(
        self, bank_id: str, limit: int, offset: int, status: str | None = None
    ) -> tuple[int, list[Loan]]:
        """One page of a bank's loans, newest first, with how many there are in all."""
        where = [loans.c.bank_id == bank_id]
        if status is not None:
            where.append(loans.c.status == status)
        total = await self.session.scalar(select(func.count()).select_from(loans).where(*where))
        query = (
            select(loans)
            .where(*where)
            .order_by(loans.c.submitted_at.desc(), loans.c.loan_id)
            .limit(limit)
            .offset(offset)
        )
        return int(total or 0), await self._load(query)

    async def with_due_timeouts(self, now: datetime, limit: int = 100) -> list[str]:
        """Ids of loans with a deadline that is due and neither fired nor cancelled."""
        t = timeouts
        query = (
            select(t.c.loan_id)
            .where(
                t.c.fired_at.is_(None),
                t.c.cancelled_at.is_(None),
                t.c.provisional.is_(False),
                t.c.due_at <= now,
            )
            .order_by(t.c.due_at)
            .limit(limit)
        )
        ids = (await self.session.execute(query)).scalars().all()
        return list(dict.fromkeys(ids))

    async def add(self, loan: Loan) -> None:
        """Store a new loan."""
        await self.save(loan)

    async def pending_deadlines_from(self, kind: TimeoutKind, since: datetime) -> list[Loan]:
        """Loans with a pending deadline of `kind` at or after `since`."""
        t = timeouts
        ids = select(t.c.loan_id).where(
            t.c.kind == kind.value,
            t.c.fired_at.is_(None),
            t.c.cancelled_at.is_(None),
            t.c.due_at >= since,
        )
        query = select(loans).where(loans.c.loan_id.in_(ids)).order_by(loans.c.loan_id)
        return await self._load(query)

    async def save(self, loan: Loan) -> None:
        """Insert a new loan or update a loaded one if nobody changed it meanwhile."""
        self._seen(loan)
        values = loan_to_row(loan)
        previous = self._loaded.get(loan.loan_id)
        if previous is None:
            await self.session.execute(loans.insert().values(values))
        else:
            result = await self.session.execute(
                loans.update()
                .where(loans.c.loan_id == loan.loan_id, loans.c.version == previous)
                .values(values)
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                raise StaleDataError(f"loan {loan.loan_id} was changed concurrently")
        self._loaded[loan.loan_id] = loan.version
        await self._save_timeouts(loan)
        await self._save_repayments(loan)

    async def _save_timeouts(self, loan: Loan) -> None:
        """Write the deadlines that are new or changed since the loan was loaded."""
        stored = self._stored_timeouts.setdefault(loan.loan_id, {})
        for timeout in loan.timeouts:
            values = _timeout_values(timeout)
            previous = stored.get(timeout.kind.value)
            if previous == values:
                continue
            if previous is not None:
                await self.session.execute(
                    timeouts.update()
                    .where(timeouts.c.loan_id == loan.loan_id, timeouts.c.kind == timeout.kind)
                    .values(values)
                )
            else:
                await self.session.execute(
                    timeouts.insert().values(loan_id=loan.loan_id, kind=timeout.kind, **values)
                )
            stored[timeout.kind.value] = values

    async def _save_repayments(self, loan: Loan) -> None:
        stored = self._stored_repayments.setdefault(loan.loan_id, set())
        for repayment in loan.repayments:
            if repayment.repayment_id in stored:
                continue
            await self.session.execute(
                repayments.insert().values(
                    repayment_id=repayment.repayment_id,
                    loan_id=loan.loan_id,
                    amount=repayment.amount,
                    paid_at=repayment.paid_at,
                    outstanding_after=repayment.outstanding_after,
                )
            )
            stored.add(repayment.repayment_id)

    async def _load(self, query: Select[Any]) -> list[Loan]:
        rows = list((await self.session.execute(query)).mappings())
        ids = [row["loan_id"] for row in rows]
        deadlines = await self._timeouts_of(ids)
        # Repayments exist only once a loan is disbursed.
        paid = await self._repayments_of(row["loan_id"] for row in rows if row["disbursed_at"])
        found = []
        for row in rows:
            loan = loan_from_row(row, deadlines[row["loan_id"]], paid[row["loan_id"]])
            self._loaded[loan.loan_id] = loan.version
            self._stored_timeouts[loan.loan_id] = {
                t.kind.value: _timeout_values(t) for t in loan.timeouts
            }
            self._stored_repayments[loan.loan_id] = {r.repayment_id for r in loan.repayments}
            found.append(self._seen(loan))
        return found

    async def _timeouts_of(self, ids: Iterable[str]) -> dict[str, list[LoanTimeout]]:
        by_loan: dict[str, list[LoanTimeout]] = defaultdict(list)
        ids = list(ids)
        if ids:
            query = select(timeouts).where(timeouts.c.loan_id.in_(ids)).order_by(timeouts.c.due_at)
            for row in (await self.session.execute(query)).mappings():
                by_loan[row["loan_id"]].append(timeout_from_row(row))
        return by_loan

    async def _repayments_of(self, ids: Iterable[str]) -> dict[str, list[Repayment]]:
        by_loan: dict[str, list[Repayment]] = defaultdict(list)
        ids = list(ids)
        if ids:
            query = (
                select(repayments)
                .where(repayments.c.loan_id.in_(ids))
                .order_by(repayments.c.paid_at, repayments.c.repayment_id)
            )
            for row in (await self.session.execute(query)).mappings():
                by_loan[row["loan_id"]].append(repayment_from_row(row))
        return by_loan


def _timeout_values(timeout: LoanTimeout) -> dict[str, Any]:
    return {
        "due_at": timeout.due_at,
        "fired_at": timeout.fired_at,
        "cancelled_at": timeout.cancelled_at,
        "provisional": timeout.provisional,
        "calendar_basis": {str(year): v for year, v in timeout.basis.items()},
    }
