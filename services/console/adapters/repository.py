"""The console's read models and records on its own database (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.adapters.orm import (
    case_events,
    case_keys,
    console_actions,
    console_sessions,
    dead_letters,
    filings,
    loans,
    redrives,
    rights,
    valuations,
)

Row = dict[str, Any]
OPEN_FILING = ("received", "in_examination")


def _rows(result: Any) -> list[Row]:
    return [dict(row) for row in result.mappings()]


class SqlRecords:
    """One table's rows on the unit of work's session."""

    table: Table

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _one(self, *where: Any) -> Row | None:
        row = (await self.session.execute(select(self.table).where(*where))).mappings().first()
        return None if row is None else dict(row)

    async def _versioned(
        self, key: str, value: str, version: int, values: Mapping[str, Any]
    ) -> bool:
        """Write `values` unless the row already holds this version or a newer one."""
        where = self.table.c[key] == value
        current = await self.session.scalar(select(self.table.c.version).where(where))
        if current is None:
            await self.session.execute(
                self.table.insert().values(**values, **{key: value}, version=version)
            )
            return True
        if current >= version:
            return False
        await self.session.execute(
            update(self.table).where(where).values(**values, version=version)
        )
        return True


class CaseRecords(SqlRecords):
    """Every event of every case, and the keys cases are found by."""

    table = case_events

    async def add(self, event: Mapping[str, Any], keys: Iterable[tuple[str, str]]) -> bool:
        """Keep an event and its keys; False if it was kept already."""
        if await self._one(case_events.c.event_id == event["event_id"]) is not None:
            return False
        await self.session.execute(case_events.insert().values(**event))
        correlation = event["correlation_id"]
        for kind, value in set(keys):
            where = and_(
                case_keys.c.kind == kind,
                case_keys.c.value == value[:200],
                case_keys.c.correlation_id == correlation,
            )
            if await self.session.scalar(select(func.count()).select_from(case_keys).where(where)):
                continue
            await self.session.execute(
                case_keys.insert().values(kind=kind, value=value[:200], correlation_id=correlation)
            )
        return True

    async def find(self, kinds: Sequence[str], values: Sequence[str], limit: int = 50) -> list[Row]:
        """Cases a key names: correlation id, first and last event, number of events."""
        keyed = select(case_keys.c.correlation_id).where(
            case_keys.c.kind.in_(kinds), case_keys.c.value.in_(values)
        )
        query = (
            select(
                case_events.c.correlation_id,
                func.min(case_events.c.occurred_at).label("started_at"),
                func.max(case_events.c.occurred_at).label("last_at"),
                func.count().label("events"),
            )
            .where(
                or_(
                    case_events.c.correlation_id.in_(keyed),
                    case_events.c.correlation_id.in_(values) if "correlation" in kinds else false(),
                )
            )
            .group_by(case_events.c.correlation_id)
            .order_by(func.max(case_events.c.occurred_at).desc())
            .limit(limit)
        )
        return _rows(await self.session.execute(query))

    async def timeline(self, correlation_id: str) -> list[Row]:
        """One case's events in the order they happened."""
        query = (
            select(case_events)
            .where(case_events.c.correlation_id == correlation_id)
            .order_by(case_events.c.occurred_at, case_events.c.aggregate_version)
        )
        return _rows(await self.session.execute(query))


class FilingRecords(SqlRecords):
    """Pledge filings as the registry announced them: the queue and the SLA board."""

    table = filings

    async def apply(self, filing_id: str, version: int, values: Mapping[str, Any]) -> bool:
        current = await self._one(filings.c.filing_id == filing_id)
        if current is None:
            defaults: Row = {
                "status": "received",
                "pledgor": {},
                "pledgee": {},
                "patents": [],
                "trademarks": [],
                "findings": [],
                "deadline_provisional": False,
            }
            await self.session.execute(
                filings.insert().values(
                    **(defaults | dict(values)), filing_id=filing_id, version=version
                )
            )
            return True
        return await self._versioned("filing_id", filing_id, version, values)

    async def get(self, filing_id: str) -> Row | None:
        return await self._one(filings.c.filing_id == filing_id)

    async def in_examination(self) -> list[Row]:
        """Filings in examination, the earliest deadline first."""
        query = (
            select(filings)
            .where(filings.c.status == "in_examination")
            .order_by(filings.c.deadline_at, filings.c.filing_id)
        )
        return _rows(await self.session.execute(query))

    async def open_due_before(self, instant: datetime) -> list[Row]:
        """Undecided filings whose deadline falls before `instant`, earliest first."""
        query = (
            select(filings)
            .where(filings.c.status.in_(OPEN_FILING), filings.c.deadline_at < instant)
            .order_by(filings.c.deadline_at)
        )
        return _rows(await self.session.execute(query))

    async def breached_since(self, instant: datetime) -> list[datetime]:
        query = select(filings.c.sla_breached_at).where(filings.c.sla_breached_at >= instant)
        return [row[0] for row in await self.session.execute(query)]

    async def decided_since(self, instant: datetime) -> list[Row]:
        query = select(filings.c.decided_at, filings.c.within_deadline).where(
            filings.c.decided_at >= instant
        )
        return _rows(await self.session.execute(query))


class RightRecords(SqlRecords):
    """The register's facts of each right, as the registry announced them."""

    table = rights

    async def record(self, number: str, right_type: str, facts: Row, at: datetime) -> None:
        if await self._one(rights.c.number == number) is None:
            await self.session.execute(
                rights.insert().values(
                    number=number, right_type=right_type, facts=facts, recorded_at=at
                )
            )
            return
        await self.session.execute(
            update(rights)
            .where(rights.c.number == number)
            .values(right_type=right_type, facts=facts, recorded_at=at)
        )

    async def of(self, numbers: Iterable[str]) -> dict[str, Row]:
        wanted = list(numbers)
        if not wanted:
            return {}
        query = select(rights).where(rights.c.number.in_(wanted))
        return {row["number"]: row for row in _rows(await self.session.execute(query))}


class ValuationRecords(SqlRecords):
    """Valuations, the provisional ones waiting for an appraiser."""

    table = valuations

    async def apply(self, valuation_id: str, version: int, values: Mapping[str, Any]) -> bool:
        return await self._versioned("valuation_id", valuation_id, version, values)

    async def get(self, valuation_id: str) -> Row | None:
        return await self._one(valuations.c.valuation_id == valuation_id)

    async def provisional(self) -> list[Row]:
        query = (
            select(valuations)
            .where(valuations.c.status == "provisional")
            .order_by(valuations.c.completed_at)
        )
        return _rows(await self.session.execute(query))


class LoanRecords(SqlRecords):
    """Loans as credit announced them: referrals and the lending statistics."""

    table = loans

    async def apply(self, loan_id: str, version: int, values: Mapping[str, Any]) -> bool:
        if await self._one(loans.c.loan_id == loan_id) is None:
            values = {"bank_id": "", "status": "submitted"} | dict(values)
        return await self._versioned("loan_id", loan_id, version, values)

    async def get(self, loan_id: str) -> Row | None:
        return await self._one(loans.c.loan_id == loan_id)

    async def referred(self) -> list[Row]:
        query = select(loans).where(loans.c.status == "referred").order_by(loans.c.referred_at)
        return _rows(await self.session.execute(query))

    async def disbursed_since(self, instant: datetime) -> list[Row]:
        query = select(loans).where(loans.c.disbursed_at >= instant)
        return _rows(await self.session.execute(query))


class DeadLetterRecords(SqlRecords):
    """Dead letters of every consumer group, and the redrives asked for."""

    table = dead_letters

    async def add(self, letter: Mapping[str, Any]) -> bool:
        if await self._one(dead_letters.c.letter_id == letter["letter_id"]) is not None:
            return False
        await self.session.execute(dead_letters.insert().values(**letter, redrive_count=0))
        return True

    async def listed(self, consumer: str | None, reason: str | None) -> list[Row]:
        query = select(dead_letters).order_by(dead_letters.c.received_at.desc())
        if consumer:
            query = query.where(dead_letters.c.consumer == consumer)
        if reason:
            query = query.where(dead_letters.c.reason == reason)
        return _rows(await self.session.execute(query.limit(500)))

    async def counts(self) -> list[Row]:
        """How many letters each consumer group has, by reason."""
        query = (
            select(dead_letters.c.consumer, dead_letters.c.reason, func.count().label("letters"))
            .group_by(dead_letters.c.consumer, dead_letters.c.reason)
            .order_by(dead_letters.c.consumer, dead_letters.c.reason)
        )
        return _rows(await self.session.execute(query))

    async def of(self, letter_ids: Iterable[str]) -> list[Row]:
        wanted = list(letter_ids)
        query = select(dead_letters).where(dead_letters.c.letter_id.in_(wanted))
        return _rows(await self.session.execute(query))

    async def ask_redrive(self, redrive_id: str, letter_id: str, by: str, at: datetime) -> None:
        await self.session.execute(
            redrives.insert().values(
                redrive_id=redrive_id, letter_id=letter_id, requested_by=by, requested_at=at
            )
        )
        await self.session.execute(
            update(dead_letters)
            .where(dead_letters.c.letter_id == letter_id)
            .values(
                redrive_count=dead_letters.c.redrive_count + 1,
                last_redriven_at=at,
                last_redriven_by=by,
            )
        )

    async def unpublished_redrives(self, limit: int = 100) -> list[Row]:
        query = (
            select(redrives.c.redrive_id, dead_letters)
            .join(dead_letters, dead_letters.c.letter_id == redrives.c.letter_id)
            .where(redrives.c.published_at.is_(None))
            .order_by(redrives.c.requested_at)
            .limit(limit)
        )
        return _rows(await self.session.execute(query))

    async def mark_published(self, redrive_ids: Sequence[str], at: datetime) -> None:
        await self.session.execute(
            update(redrives).where(redrives.c.redrive_id.in_(redrive_ids)).values(published_at=at)
        )


class ActionLog(SqlRecords):
    """Who did what through the console, newest first."""

    table = console_actions

    async def add(self, action: Mapping[str, Any]) -> None:
        await self.session.execute(console_actions.insert().values(**action))

    async def newest(self, limit: int, offset: int) -> tuple[int, list[Row]]:
        total = await self.session.scalar(select(func.count()).select_from(console_actions))
        query = (
            select(console_actions)
            .order_by(console_actions.c.at.desc(), console_actions.c.action_id)
            .limit(limit)
            .offset(offset)
        )
        return int(total or 0), _rows(await self.session.execute(query))


class SessionRecords(SqlRecords):
    """Signed-in sessions, by the hash of their cookie."""

    table = console_sessions

    async def add(self, session: Mapping[str, Any]) -> None:
        await self.session.execute(console_sessions.insert().values(**session))

    async def get(self, token_hash: str) -> Row | None:
        return await self._one(console_sessions.c.token_hash == token_hash)

    async def change(self, token_hash: str, **values: Any) -> None:
        await self.session.execute(
            update(console_sessions)
            .where(console_sessions.c.token_hash == token_hash)
            .values(**values)
        )

    async def remove(self, token_hash: str) -> None:
        await self.session.execute(
            console_sessions.delete().where(console_sessions.c.token_hash == token_hash)
        )

    async def remove_expired(self, now: datetime) -> None:
        await self.session.execute(
            console_sessions.delete().where(console_sessions.c.expires_at < now)
        )
