"""The register and the filings in and out of the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from services.registry.adapters.orm import (
    filings,
    patents,
    pledged_rights,
    registration_counters,
    trademarks,
)
from services.registry.domain.amendments import Amendment, AmendmentKind, CancellationReason
from services.registry.domain.checks import Finding, Severity
from services.registry.domain.decisions import Decision, DecisionAction, Reason
from services.registry.domain.filing import Party, PledgeFilingData
from services.registry.domain.pledge import CLOCK_RUNNING, FilingStatus, PledgeFiling
from services.registry.domain.register import Holder, Patent, Trademark
from services.registry.domain.rights import RightEntry
from shared.envelope import to_primitive
from shared.uow import TrackingRepository

T = TypeVar("T")


class SqlRegisterRepository(TrackingRepository):
    """Patents and trademarks on the register."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._stored: dict[str, bool] = {}

    async def patents(self, numbers: tuple[str, ...]) -> dict[str, Patent]:
        """The patents among `numbers` that are on the register."""
        rows = await self.session.execute(select(patents).where(patents.c.number.in_(numbers)))
        return {row.number: _to_patent(row._mapping) for row in rows}

    async def trademarks(self, numbers: tuple[str, ...]) -> dict[str, Trademark]:
        """The trademarks among `numbers` that are on the register."""
        query = select(trademarks).where(trademarks.c.number.in_(numbers))
        return {
            row.number: _to_trademark(row._mapping) for row in await self.session.execute(query)
        }

    async def same_day_twins(self, pledged: dict[str, Patent]) -> dict[str, Patent]:
        """The register entry linked as filed the same day with each pledged patent, either
        entry naming the other."""
        named = {p.same_day_twin for p in pledged.values() if p.same_day_twin}
        query = select(patents).where(
            patents.c.number.in_(named) | patents.c.same_day_twin.in_(list(pledged))
        )
        found = [_to_patent(row._mapping) for row in await self.session.execute(query)]
        by_number = {twin.number: twin for twin in found}
        naming = {twin.same_day_twin: twin for twin in found if twin.same_day_twin}
        twins = {}
        for number, patent in pledged.items():
            twin = by_number.get(patent.same_day_twin or "") or naming.get(number)
            if twin is not None and twin.number != number:
                twins[number] = twin
        return twins

    async def marks_of(self, owner_uscc: str) -> list[Trademark]:
        """Every trademark held by an owner."""
        query = select(trademarks).where(trademarks.c.owner_uscc == owner_uscc)
        return [_to_trademark(row._mapping) for row in await self.session.execute(query)]

    async def entry(self, number: str, kind: str) -> RightEntry:
        """The entry of a right (locked until the transaction ends); a new one if none exists."""
        table = patents if kind == "patent" else trademarks
        existing = await self.session.execute(
            select(table.c.version).where(table.c.number == number).with_for_update()
        )
        version = existing.scalar()
        entry = RightEntry(number, version=int(version or 0))
        self._stored[number] = version is not None
        return self._seen(entry)

    async def save_entry(self, entry: RightEntry) -> None:
        """Store the entry's facts with its version."""
        right = entry.right
        if right is None:
            return
        if isinstance(right, Patent):
            table = patents
            values = {
                **to_primitive_row(right),
                "patentee_uscc": right.patentee.uscc,
                "updated_at": datetime.now(UTC),
            }
        else:
            table = trademarks
            values = _trademark_row(right)
        values["version"] = entry.version
        if self._stored.get(entry.number):
            await self.session.execute(
                table.update().where(table.c.number == entry.number).values(values)
            )
        else:
            await self.session.execute(table.insert().values(values))
            self._stored[entry.number] = True


def _trademark_row(mark: Trademark) -> dict[str, Any]:
    return {
        "number": mark.number,
        "nice_class": mark.nice_class,
        "goods": list(mark.goods),
        "mark": mark.mark,
        "owner_name": mark.owner.name,
        "owner_uscc": mark.owner.uscc,
        "valid_until": mark.valid_until,
        "status": mark.status,
        "frozen": mark.frozen,
        "updated_at": datetime.now(UTC),
    }


def to_primitive_row(patent: Patent) -> dict[str, Any]:
    """Column values of a patent entry."""
    return {
        "number": patent.number,
        "kind": patent.kind,
        "title": patent.title,
        "holders": [{"name": h.name, "uscc": h.uscc} for h in patent.holders],
        "filing_date": patent.filing_date,
        "grant_date": patent.grant_date,
        "legal_status": patent.legal_status,
        "fees_paid_through": patent.fees_paid_through,
        "frozen": patent.frozen,
        "invalidation_pending": patent.invalidation_pending,
        "main_ipc": patent.main_ipc,
        "same_day_twin": patent.same_day_twin,
    }


PLEDGED = (FilingStatus.REGISTERED.value, FilingStatus.CANCELLED.value)


class SqlFilingRepository(TrackingRepository):
    """Pledge filings, registration numbers, and the one-active-pledge-per-right index."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._loaded: dict[str, int] = {}

    async def get(self, filing_id: str) -> PledgeFiling | None:
        """A filing, or None."""
        return await self._one(select(filings).where(filings.c.filing_id == filing_id))

    async def by_reference(self, channel: str, filing_reference: str) -> PledgeFiling | None:
        """The filing a sender (e.g. credit, for a loan) made under its own reference."""
        query = select(filings).where(
            filings.c.channel == channel, filings.c.filing_reference == filing_reference
        )
        return await self._one(query.order_by(filings.c.received_at).limit(1))

    async def by_registration_number(self, registration_number: str) -> PledgeFiling | None:
        """The filing that registered a pledge, or None."""
        query = select(filings).where(filings.c.registration_number == registration_number)
        return await self._one(query)

    async def _one(self, query: Any) -> PledgeFiling | None:
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        self._loaded[row.filing_id] = row.version
        return self._seen(_to_filing(row._mapping))

    async def active_pledges(self, numbers: tuple[str, ...]) -> dict[str, str]:
        """Registration numbers of active pledges over any of `numbers`."""
        query = select(pledged_rights).where(pledged_rights.c.right_number.in_(numbers))
        return {r.right_number: r.registration_number for r in await self.session.execute(query)}

    async def hold_rights(self, filing: PledgeFiling) -> None:
        """Claim every right of a registered filing; a right already held violates the key."""
        assert filing.registration_number is not None
        await self.session.execute(
            pledged_rights.insert(),
            [
                {
                    "right_number": number,
                    "registration_number": filing.registration_number,
                    "filing_id": filing.filing_id,
                }
                for number in filing.data.rights
            ],
        )

    async def release_rights(self, filing: PledgeFiling) -> None:
        """Free every right held by a pledge that ended."""
        await self.session.execute(
            delete(pledged_rights).where(
                pledged_rights.c.registration_number == filing.registration_number
            )
        )

    async def try_hold_rights(self, filing: PledgeFiling) -> bool:
        """Claim every right of a registered filing; False if another pledge holds one."""
        try:
            async with self.session.begin_nested():
                await self.hold_rights(filing)
        except IntegrityError:
            return False
        return True

    async def examination_queue(self, limit: int, offset: int) -> tuple[int, list[PledgeFiling]]:
        """Filings in examination, earliest deadline first, and how many there are in all."""
        waiting = filings.c.status == FilingStatus.IN_EXAMINATION.value
        total = await self.session.scalar(select(func.count()).select_from(filings).where(waiting))
        query = (
            select(filings)
            .where(waiting)
            .order_by(filings.c.deadline_at, filings.c.received_at, filings.c.filing_id)
            .limit(limit)
            .offset(offset)
        )
        rows = await self.session.execute(query)
        return int(total or 0), [_to_filing(row._mapping) for row in rows]

    async def overdue_unflagged(self, now: datetime, limit: int) -> list[str]:
        """Ids of undecided filings past a firm deadline whose breach was not yet announced."""
        query = (
            select(filings.c.filing_id)
            .where(
                filings.c.status.in_([s.value for s in CLOCK_RUNNING]),
                filings.c.deadline_at < now,
                filings.c.sla_breached_at.is_(None),
                filings.c.deadline_provisional.is_(False),
            )
            .order_by(filings.c.deadline_at)
            .limit(limit)
        )
        return list((await self.session.scalars(query)).all())

    async def running_deadlines_from(self, since: datetime) -> list[PledgeFiling]:
        """Undecided filings whose clock runs, with a deadline at or after `since`."""
        query = (
            select(filings)
            .where(
                filings.c.status.in_([s.value for s in CLOCK_RUNNING]),
                filings.c.deadline_at >= since,
            )
            .order_by(filings.c.deadline_at, filings.c.filing_id)
        )
        found = []
        for row in await self.session.execute(query):
            self._loaded[row.filing_id] = row.version
            found.append(self._seen(_to_filing(row._mapping)))
        return found

    async def received_between(
        self, since: datetime | None, until: datetime | None
    ) -> list[PledgeFiling]:
        """Filings received at or after `since` and before `until` (either may be open)."""
        query = select(filings).order_by(filings.c.received_at)
        if since is not None:
            query = query.where(filings.c.received_at >= since)
        if until is not None:
            query = query.where(filings.c.received_at < until)
        return [_to_filing(row._mapping) for row in await self.session.execute(query)]

    async def pledges_to(
        self, pledgee_uscc: str, after: str, limit: int, active_only: bool = False
    ) -> list[PledgeFiling]:
        """Pledges registered to a pledgee (only the active ones with `active_only`), by
        registration number after `after` (read only)."""
        statuses = PLEDGED[:1] if active_only else PLEDGED
        query = (
            select(filings)
            .where(
                filings.c.pledgee_uscc == pledgee_uscc,
                filings.c.registration_number > after,
                filings.c.status.in_(statuses),
            )
            .order_by(filings.c.registration_number)
            .limit(limit)
        )
        return [_to_filing(row._mapping) for row in await self.session.execute(query)]

    async def next_registration_number(self, on: date) -> str:
        """The next pledge registration number of the year, e.g. Y2026000123.

        One upsert: the first number of a year cannot race another replica's.
        """
        counters = registration_counters
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(counters)
            .values(year=on.year, last_value=1)
            .on_conflict_do_update(
                index_elements=[counters.c.year],
                set_={"last_value": counters.c.last_value + 1},
            )
            .returning(counters.c.last_value)
        )
        value = (await self.session.execute(statement)).scalar_one()
        return f"Y{on.year}{value:06d}"

    async def save(self, filing: PledgeFiling) -> None:
        """Insert a new filing or update a loaded one if nobody changed it meanwhile."""
        self._seen(filing)
        values = _filing_row(filing)
        previous = self._loaded.get(filing.filing_id)
        if previous is None:
            await self.session.execute(filings.insert().values(values))
        else:
            result = await self.session.execute(
                filings.update()
                .where(filings.c.filing_id == filing.filing_id, filings.c.version == previous)
                .values(values)
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                raise StaleDataError(f"filing {filing.filing_id} was changed concurrently")
        self._loaded[filing.filing_id] = filing.version


def _filing_row(filing: PledgeFiling) -> dict[str, Any]:
    return {
        "filing_id": filing.filing_id,
        "filing_reference": filing.filing_reference,
        "channel": filing.channel,
        "data": to_primitive(filing.data),
        "pledgor_uscc": filing.data.pledgor.uscc,
        "pledgee_uscc": filing.data.pledgee.uscc,
        "secured_amount": filing.data.secured_amount,
        "status": filing.status.value,
        "received_at": filing.received_at,
        "deadline_at": filing.deadline_at,
        "findings": to_primitive(filing.findings),
        "registration_number": filing.registration_number,
        "decided_at": filing.decided_at,
        "history": [[s, at.isoformat()] for s, at in filing.history],
        "version": filing.version,
        "deadline_provisional": filing.deadline_provisional,
        "claimed_by": filing.claimed_by,
        "corrected_at": filing.corrected_at,
        "decisions": to_primitive(filing.decisions),
        "sla_breached_at": filing.sla_breached_at,
        "cancelled_at": filing.cancelled_at,
        "cancellation_reason": filing.cancellation_reason,
        "amendments": to_primitive(filing.amendments),
        "correlation_id": filing.correlation_id,
        "deadline_basis": {str(year): v for year, v in filing.deadline_basis.items()},
    }


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _to_patent(row: Any) -> Patent:
    return Patent(
        number=row["number"],
        kind=row["kind"],
        title=row["title"],
        holders=tuple(Holder(h["name"], h["uscc"]) for h in row["holders"]),
        filing_date=row["filing_date"],
        grant_date=row["grant_date"],
        legal_status=row["legal_status"],
        fees_paid_through=row["fees_paid_through"],
        frozen=row["frozen"],
        invalidation_pending=row["invalidation_pending"],
        main_ipc=row["main_ipc"],
        same_day_twin=row["same_day_twin"],
    )


def _to_trademark(row: Any) -> Trademark:
    return Trademark(
        number=row["number"],
        nice_class=row["nice_class"],
        goods=tuple(row["goods"]),
        mark=row["mark"],
        owner=Holder(row["owner_name"], row["owner_uscc"]),
        valid_until=row["valid_until"],
        status=row["status"],
        frozen=row["frozen"],
    )


def _to_filing_data(data: dict[str, Any]) -> PledgeFilingData:
    return PledgeFilingData(
        pledgor=Party(**data["pledgor"]),
        pledgee=Party(**data["pledgee"]),
        debt_type=data["debt_type"],
        secured_amount=Decimal(data["secured_amount"]),
        performance_deadline=date.fromisoformat(data["performance_deadline"]),
        patents=tuple(data["patents"]),
        trademarks=tuple(data["trademarks"]),
        scope_of_guarantee=data["scope_of_guarantee"],
        co_owner_consents=tuple(data["co_owner_consents"]),
        acknowledged=frozenset(data["acknowledged"]),
        filed_on=date.fromisoformat(data["filed_on"]),
        same_day_utility_invention=tuple(data["same_day_utility_invention"]),
    )


def _to_decision(data: dict[str, Any]) -> Decision:
    return Decision(
        action=DecisionAction(data["action"]),
        examiner=data["examiner"],
        at=datetime.fromisoformat(data["at"]),
        reasons=tuple(Reason(r["code"], r["message"]) for r in data["reasons"]),
        message=data["message"],
        fields=tuple(data.get("fields", ())),
        acknowledged=tuple(data.get("acknowledged", ())),
        assignee=data.get("assignee"),
    )


def _optional(kind: Callable[[Any], T], value: Any) -> T | None:
    return None if value is None else kind(value)


def _to_amendment(data: dict[str, Any]) -> Amendment:
    return Amendment(
        kind=AmendmentKind(data["kind"]),
        at=datetime.fromisoformat(data["at"]),
        changed=tuple(data["changed"]),
        reason=_optional(CancellationReason, data["reason"]),
    )


def _to_filing(row: Any) -> PledgeFiling:
    return PledgeFiling(
        filing_id=row["filing_id"],
        filing_reference=row["filing_reference"],
        channel=row["channel"],
        data=_to_filing_data(row["data"]),
        status=FilingStatus(row["status"]),
        received_at=_utc(row["received_at"]) or datetime.now(UTC),
        deadline_at=_utc(row["deadline_at"]) or datetime.now(UTC),
        findings=tuple(
            Finding(
                f["code"],
                f["right"],
                f["message"],
                Severity(f["severity"]),
                f["acknowledged"],
                tuple(f["related"]),
            )
            for f in row["findings"]
        ),
        registration_number=row["registration_number"],
        decided_at=_utc(row["decided_at"]),
        history=[(s, datetime.fromisoformat(at)) for s, at in row["history"]],
        version=row["version"],
        deadline_provisional=row["deadline_provisional"],
        claimed_by=row["claimed_by"],
        corrected_at=_utc(row["corrected_at"]),
        decisions=[_to_decision(d) for d in row["decisions"]],
        sla_breached_at=_utc(row["sla_breached_at"]),
        cancelled_at=_utc(row["cancelled_at"]),
        cancellation_reason=_optional(CancellationReason, row["cancellation_reason"]),
        amendments=[_to_amendment(a) for a in row["amendments"]],
        correlation_id=row["correlation_id"],
        deadline_basis={int(year): v for year, v in (row["deadline_basis"] or {}).items()},
    )
