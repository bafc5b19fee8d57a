"""The revisions of the lending terms replicas started with, in the `lending_terms` table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit.adapters.orm import lending_terms
from services.credit.domain.records import StoredTerms


class SqlLendingTermsStore:
    """Revisions of the lending terms on SQL; a revision is stored once, by its first writer."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def newest(self) -> StoredTerms | None:
        """The highest revision stored, if any."""
        query = select(lending_terms).order_by(lending_terms.c.revision.desc()).limit(1)
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        return StoredTerms(row["revision"], row["fingerprint"], dict(row["document"]))

    async def add(self, terms: StoredTerms) -> bool:
        """Store a revision unless it is stored already; True if this call stored it."""
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(lending_terms)
            .values(
                revision=terms.revision,
                fingerprint=terms.fingerprint,
                document=terms.document,
                stored_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=[lending_terms.c.revision])
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1
