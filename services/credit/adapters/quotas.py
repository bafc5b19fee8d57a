"""Each bank's IP-loan quota: one row per bank, changed only by conditional updates.

A reservation succeeds only if `total - reserved - consumed` covers it, checked by the UPDATE
itself: concurrent reservations queue on the row lock and each re-reads the row it updates,
so the quota is never overdrawn.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit.adapters.orm import bank_quotas
from services.credit.domain.records import QuotaMovement, QuotaState


class QuotaInconsistent(Exception):
    """A release or consumption the bank's reservations do not cover."""


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


class SqlQuotaRepository:
    """Quotas on SQL: conditional updates on one row per bank."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def reserve(self, bank_id: str, total: Decimal, amount: Decimal) -> bool:
        """Reserve `amount` if the quota still covers it; False when it does not."""
        q = bank_quotas
        statement = (
            update(q)
            .where(q.c.bank_id == bank_id, q.c.total - q.c.reserved - q.c.consumed >= amount)
            .values(reserved=q.c.reserved + amount, updated_at=datetime.now(UTC))
        )
        if _rowcount(await self.session.execute(statement)) == 1:
            return True
        if await self.get(bank_id) is not None:
            return False
        await self.ensure(bank_id, total)
        return _rowcount(await self.session.execute(statement)) == 1

    async def settle(self, bank_id: str, movement: QuotaMovement) -> None:
        """Leave a reservation, moving `consume` into the consumed amount."""
        q = bank_quotas
        result = await self.session.execute(
            update(q)
            .where(q.c.bank_id == bank_id, q.c.reserved >= movement.release)
            .values(
                reserved=q.c.reserved - movement.release,
                consumed=q.c.consumed + movement.consume,
                updated_at=datetime.now(UTC),
            )
        )
        if _rowcount(result) != 1:
            raise QuotaInconsistent(f"bank {bank_id} holds no reservation of {movement.release}")

    async def ensure(self, bank_id: str, total: Decimal) -> None:
        """Create the bank's row if it is missing."""
        try:
            async with self.session.begin_nested():
                await self.session.execute(
                    bank_quotas.insert().values(
                        bank_id=bank_id,
                        total=total,
                        reserved=Decimal("0.00"),
                        consumed=Decimal("0.00"),
                        updated_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            return

    async def set_total(self, bank_id: str, total: Decimal, revision: int) -> None:
        """Make the total of a revision of the lending terms the one in force, unless the total
        in force comes from a later revision."""
        await self.ensure(bank_id, total)
        q = bank_quotas
        await self.session.execute(
            update(q)
            .where(
                q.c.bank_id == bank_id,
                q.c.total_revision <= revision,
                (q.c.total != total) | (q.c.total_revision != revision),
            )
            .values(total=total, total_revision=revision, updated_at=datetime.now(UTC))
        )

    async def get(self, bank_id: str) -> QuotaState | None:
        """The bank's quota as it stands."""
        states = await self.all(bank_id)
        return states[0] if states else None

    async def all(self, bank_id: str | None = None) -> list[QuotaState]:
        """Every bank's quota (or one bank's)."""
        query = select(bank_quotas).order_by(bank_quotas.c.bank_id)
        if bank_id is not None:
            query = query.where(bank_quotas.c.bank_id == bank_id)
        rows = (await self.session.execute(query)).mappings()
        return [
            QuotaState(
                r["bank_id"],
                Decimal(r["total"]).quantize(Decimal("0.01")),
                Decimal(r["reserved"]).quantize(Decimal("0.01")),
                Decimal(r["consumed"]).quantize(Decimal("0.01")),
            )
            for r in rows
        ]
