"""The public register's entries, written with the change they record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters.orm import register_entries
from services.registry.domain.filing import Party
from services.registry.domain.gazette import EntryType, RegisterEntry

t = register_entries


class GazetteRepository:
    """Register entries, newest first; the rights of one entry in filing order."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, entries: Sequence[RegisterEntry]) -> None:
        """Enter lines in the register."""
        if entries:
            await self.session.execute(t.insert(), [_row(entry) for entry in entries])

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
        """Entries matching every given filter, newest first, and how many match in all."""
        where: list[ColumnElement[bool]] = []
        if right is not None:
            where.append(t.c.right_number == right)
        if party_uscc is not None:
            where.append(or_(t.c.pledgor_uscc == party_uscc, t.c.pledgee_uscc == party_uscc))
        if since is not None:
            where.append(t.c.entered_at >= since)
        if until is not None:
            where.append(t.c.entered_at < until)
        total = await self.session.scalar(select(func.count()).select_from(t).where(*where))
        query = (
            (select(t).where(*where).order_by(t.c.entered_at.desc(), t.c.id))
            .limit(limit)
            .offset(offset)
        )
        rows = await self.session.execute(query)
        return int(total or 0), [_entry(row._mapping) for row in rows]


def _row(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "entry_type": entry.entry_type.value,
        "registration_number": entry.registration_number,
        "filing_id": entry.filing_id,
        "right_number": entry.right_number,
        "right_kind": entry.right_kind,
        "main_ipc": entry.main_ipc,
        "grant_date": entry.grant_date,
        "pledgor_name": entry.pledgor.name,
        "pledgor_uscc": entry.pledgor.uscc,
        "pledgee_name": entry.pledgee.name,
        "pledgee_uscc": entry.pledgee.uscc,
        "registration_date": entry.registration_date,
        "entered_at": entry.entered_at,
        "reason": entry.reason,
        "changed": list(entry.changed),
    }


def _entry(row: Any) -> RegisterEntry:
    return RegisterEntry(
        entry_type=EntryType(row["entry_type"]),
        registration_number=row["registration_number"],
        filing_id=row["filing_id"],
        right_number=row["right_number"],
        right_kind=row["right_kind"],
        main_ipc=row["main_ipc"],
        grant_date=row["grant_date"],
        pledgor=Party(row["pledgor_name"], row["pledgor_uscc"], ""),
        pledgee=Party(row["pledgee_name"], row["pledgee_uscc"], ""),
        registration_date=row["registration_date"],
        entered_at=_utc(row["entered_at"]),
        reason=row["reason"],
        changed=tuple(row["changed"]),
    )


def _utc(value: datetime) -> datetime:
    """A stored time in UTC (SQLite gives it back without its offset)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
