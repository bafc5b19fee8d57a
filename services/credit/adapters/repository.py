"""Loans in and out of the database, with optimistic concurrency on the version."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from services.credit.adapters.orm import loans
from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import Loan, LoanStatus
from shared.envelope import to_primitive


class LoanRepository:
    """Loads and saves loans; a save that lost a race raises `StaleDataError`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._loaded: dict[str, int] = {}

    async def get(self, loan_id: str, *, for_update: bool = False) -> Loan | None:
        """The loan, or None."""
        query = select(loans).where(loans.c.loan_id == loan_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        self._loaded[loan_id] = row["version"]
        return _to_loan(row)

    async def list_for_bank(self, bank_id: str, limit: int, offset: int) -> list[Loan]:
        """A bank's loans, newest first."""
        rows = (
            await self.session.execute(
                select(loans)
                .where(loans.c.bank_id == bank_id)
                .order_by(loans.c.submitted_at.desc(), loans.c.loan_id)
                .limit(limit)
                .offset(offset)
            )
        ).mappings()
        return [_to_loan(row) for row in rows]

    async def save(self, loan: Loan) -> None:
        """Insert a new loan or update a loaded one if nobody changed it meanwhile."""
        values = _to_row(loan)
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


def _to_row(loan: Loan) -> dict[str, Any]:
    return {
        "loan_id": loan.loan_id,
        "bank_id": loan.bank_id,
        "enterprise_uscc": loan.enterprise.uscc,
        "enterprise": to_primitive(loan.enterprise),
        "requested_amount": loan.requested_amount,
        "term_months": loan.term_months,
        "purpose": loan.purpose,
        "collateral": to_primitive(loan.collateral),
        "status": loan.status.value,
        "submitted_at": loan.submitted_at,
        "correlation_id": loan.correlation_id,
        "approved_amount": loan.approved_amount,
        "annual_rate": loan.annual_rate,
        "decision_reasons": list(loan.decision_reasons),
        "policy_version": loan.policy_version,
        "valuation_id": loan.valuation_id,
        "appraised_value": loan.appraised_value,
        "offer_expires_at": loan.offer_expires_at,
        "pledge_registration_number": loan.pledge_registration_number,
        "disbursed_at": loan.disbursed_at,
        "maturity_date": loan.maturity_date,
        "withdrawal_reason": loan.withdrawal_reason,
        "history": [[status, at.isoformat()] for status, at in loan.history],
        "version": loan.version,
    }


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _to_loan(row: Any) -> Loan:
    return Loan(
        loan_id=row["loan_id"],
        bank_id=row["bank_id"],
        enterprise=Enterprise(**row["enterprise"]),
        requested_amount=_money(row["requested_amount"]) or Decimal("0.00"),
        term_months=row["term_months"],
        purpose=row["purpose"],
        collateral=tuple(CollateralRight(**c) for c in row["collateral"]),
        status=LoanStatus(row["status"]),
        submitted_at=_utc(row["submitted_at"]) or datetime.now(UTC),
        correlation_id=row["correlation_id"],
        approved_amount=_money(row["approved_amount"]),
        annual_rate=None if row["annual_rate"] is None else Decimal(row["annual_rate"]).normalize(),
        decision_reasons=tuple(row["decision_reasons"]),
        policy_version=row["policy_version"],
        valuation_id=row["valuation_id"],
        appraised_value=_money(row["appraised_value"]),
        offer_expires_at=_utc(row["offer_expires_at"]),
        pledge_registration_number=row["pledge_registration_number"],
        disbursed_at=_utc(row["disbursed_at"]),
        maturity_date=_date(row["maturity_date"]),
        withdrawal_reason=row["withdrawal_reason"],
        history=[(s, datetime.fromisoformat(at)) for s, at in row["history"]],
        version=row["version"],
    )
