"""Valuation's storage on SQL: the register read model, valuations with their sign-offs, and
the collateral of disbursed loans with its impairments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from services.valuation.adapters.orm import (
    impairments,
    loan_collateral,
    pledged_collateral,
    rights,
    signoffs,
    valuations,
)
from services.valuation.domain import PROVISIONAL, ValueRange
from services.valuation.domain.collateral import Impairment, LoanCollateral
from services.valuation.domain.events import DriverData, RightValue, ValuationCompleted
from services.valuation.domain.records import RegisteredRight, SignOffRecord
from services.valuation.domain.valuation import CREDIT, Valuation
from shared.envelope import to_primitive
from shared.uow import TrackingRepository

FEN = Decimal("0.01")


class SqlRightRepository:
    """The read model of the register, fed by the registry's events."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, number: str) -> RegisteredRight | None:
        """The right as last recorded, or None."""
        found = await self.get_many([number])
        return found.get(number)

    async def get_many(self, numbers: Iterable[str]) -> dict[str, RegisteredRight]:
        """The recorded rights among `numbers`, by number."""
        wanted = list(numbers)
        if not wanted:
            return {}
        rows = await self.session.execute(select(rights).where(rights.c.number.in_(wanted)))
        return {row["number"]: _to_right(row) for row in rows.mappings()}

    async def version_of(self, number: str) -> int | None:
        """The registry version the stored row reflects, or None if the right is unknown."""
        query = select(rights.c.source_event_version).where(rights.c.number == number)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def upsert(self, right: RegisteredRight) -> bool:
        """Store the right unless a newer registry version of it is already stored."""
        values = _columns(right)
        version = right.source_event_version
        result = await self.session.execute(
            rights.update()
            .where(rights.c.number == right.number, rights.c.source_event_version <= version)
            .values(values)
        )
        if cast(CursorResult[Any], result).rowcount == 1:
            return True
        if await self.version_of(right.number) is not None:
            return False
        await self.session.execute(rights.insert().values(number=right.number, **values))
        return True


class SqlValuationRepository(TrackingRepository):
    """Valuations are written once; a provisional one gets one sign-off row."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._signed: set[str] = set()

    async def add(self, valuation: Valuation) -> None:
        """Store a new valuation with its inputs (a second one for credit's loan conflicts)."""
        completed = valuation.completed
        await self.session.execute(
            valuations.insert().values(
                valuation_id=completed.valuation_id,
                reference=completed.reference,
                requested_by=completed.requested_by,
                parameter_version=completed.parameter_version,
                as_of=completed.as_of,
                total_low=completed.low,
                total_central=completed.central,
                total_high=completed.high,
                recommended_max_loan=completed.recommended_max_loan,
                result={
                    "largest_share": to_primitive(completed.largest_share),
                    "concentration_note": completed.concentration_note,
                    "rights": to_primitive(completed.rights),
                },
                inputs=to_primitive(dict(valuation.inputs)),
                created_at=completed.completed_at,
                status=completed.status,
            )
        )
        self._seen(valuation)
        await self.save(valuation)

    async def get(self, valuation_id: str) -> Valuation | None:
        """The valuation with its sign-off, or None."""
        query = select(valuations).where(valuations.c.valuation_id == valuation_id)
        found = await self._load(query)
        return found[0] if found else None

    async def for_application(self, loan_reference: str) -> Valuation | None:
        """The valuation made for credit of a loan application's collateral, or None."""
        v = valuations.c
        query = select(valuations).where(v.reference == loan_reference, v.requested_by == CREDIT)
        found = await self._load(query)
        return found[0] if found else None

    async def pending(self, limit: int, after: str | None = None) -> list[Valuation]:
        """Provisional valuations without a sign-off, oldest first, after the valuation `after`."""
        v = valuations.c
        signed = exists().where(signoffs.c.valuation_id == v.valuation_id)
        query = select(valuations).where(v.status == PROVISIONAL, ~signed)
        if after is not None:
            since = select(v.created_at).where(v.valuation_id == after).scalar_subquery()
            query = query.where(
                or_(v.created_at > since, and_(v.created_at == since, v.valuation_id > after))
            )
        return await self._load(query.order_by(v.created_at, v.valuation_id).limit(limit))

    async def save(self, valuation: Valuation) -> None:
        """Store a new sign-off; a second one for the valuation fails on its key."""
        self._seen(valuation)
        if valuation.signoff is None or valuation.valuation_id in self._signed:
            return
        await self.session.execute(signoffs.insert().values(_signoff_columns(valuation.signoff)))
        self._signed.add(valuation.valuation_id)

    async def _load(self, query: Select[Any]) -> list[Valuation]:
        rows = (await self.session.execute(query)).mappings().all()
        ids = [row["valuation_id"] for row in rows]
        signed: dict[str, SignOffRecord] = {}
        if ids:
            found = select(signoffs).where(signoffs.c.valuation_id.in_(ids))
            for row in (await self.session.execute(found)).mappings():
                signed[row["valuation_id"]] = _to_signoff(row)
        loaded = []
        for row in rows:
            signoff = signed.get(row["valuation_id"])
            valuation = Valuation(
                _to_completed(row),
                row["inputs"],
                signoff,
                version=2 if signoff else 1,
            )
            if signoff is not None:
                self._signed.add(valuation.valuation_id)
            loaded.append(self._seen(valuation))
        return loaded


@dataclass(frozen=True)
class _Stored:
    """What the database holds of a loan's collateral, as this transaction last saw it."""

    version: int
    rights: frozenset[str]
    impairments: int

    @classmethod
    def of(cls, collateral: LoanCollateral) -> _Stored:
        return cls(collateral.version, frozenset(collateral.rights), len(collateral.impairments))


NOTHING_STORED = _Stored(0, frozenset(), 0)


class SqlCollateralRepository(TrackingRepository):
    """The collateral of disbursed loans: one row per loan, one per followed right, one per
    impairment; a save that lost a race to a concurrent writer raises `StaleDataError`."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._stored: dict[str, _Stored] = {}

    async def add(self, collateral: LoanCollateral) -> None:
        """Start following a loan's collateral."""
        self._seen(collateral)
        await self.session.execute(
            loan_collateral.insert().values(
                loan_reference=collateral.loan_reference, **_collateral_columns(collateral)
            )
        )
        await self._store_parts(collateral, NOTHING_STORED)

    async def get(self, loan_reference: str) -> LoanCollateral | None:
        """The collateral of one loan, locked until commit; or None."""
        query = select(loan_collateral).where(loan_collateral.c.loan_reference == loan_reference)
        found = await self._load(query.with_for_update())
        return found[0] if found else None

    async def following(self, right_number: str) -> list[LoanCollateral]:
        """The collateral, not released, of every loan the right backs, locked until commit."""
        c = loan_collateral.c
        backed = select(pledged_collateral.c.loan_reference).where(
            pledged_collateral.c.right_number == right_number
        )
        query = (
            select(loan_collateral)
            .where(c.loan_reference.in_(backed), c.released.is_(False))
            .order_by(c.loan_reference)
            .with_for_update()
        )
        return await self._load(query)

    async def save(self, collateral: LoanCollateral) -> None:
        """Store a loaded collateral's changes, unless someone changed it meanwhile."""
        self._seen(collateral)
        before = self._stored[collateral.loan_reference]
        c = loan_collateral.c
        result = await self.session.execute(
            loan_collateral.update()
            .where(c.loan_reference == collateral.loan_reference, c.version == before.version)
            .values(_collateral_columns(collateral))
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            raise StaleDataError(f"collateral of {collateral.loan_reference} changed concurrently")
        await self._store_parts(collateral, before)

    async def _store_parts(self, collateral: LoanCollateral, before: _Stored) -> None:
        reference = collateral.loan_reference
        p = pledged_collateral.c
        dropped = before.rights - set(collateral.rights)
        if dropped:
            await self.session.execute(
                pledged_collateral.delete().where(
                    p.loan_reference == reference, p.right_number.in_(dropped)
                )
            )
        for number in collateral.rights:
            if number not in before.rights:
                values = {"right_number": number, "loan_reference": reference}
                await self.session.execute(pledged_collateral.insert().values(values))
        for found in collateral.impairments[before.impairments :]:
            values = {"loan_reference": reference, **_impairment_columns(found)}
            await self.session.execute(impairments.insert().values(values))
        self._stored[reference] = _Stored.of(collateral)

    async def _load(self, query: Select[Any]) -> list[LoanCollateral]:
        rows = (await self.session.execute(query)).mappings().all()
        references = [row["loan_reference"] for row in rows]
        rights = await self._rights_of(references)
        found = await self._impairments_of(references)
        loaded = []
        for row in rows:
            reference = row["loan_reference"]
            collateral = LoanCollateral(
                reference,
                row["valuation_id"],
                tuple(rights.get(reference, ())),
                _utc(row["pledged_at"]),
                released=bool(row["released"]),
                impairments=tuple(found.get(reference, ())),
                version=row["version"],
            )
            self._stored[reference] = _Stored.of(collateral)
            loaded.append(self._seen(collateral))
        return loaded

    async def _rights_of(self, references: list[str]) -> dict[str, list[str]]:
        by_loan: dict[str, list[str]] = defaultdict(list)
        if references:
            p = pledged_collateral.c
            query = (
                select(p.loan_reference, p.right_number)
                .where(p.loan_reference.in_(references))
                .order_by(p.right_number)
            )
            for reference, number in (await self.session.execute(query)).all():
                by_loan[reference].append(number)
        return by_loan

    async def _impairments_of(self, references: list[str]) -> dict[str, list[Impairment]]:
        by_loan: dict[str, list[Impairment]] = defaultdict(list)
        if references:
            i = impairments.c
            query = (
                select(impairments)
                .where(i.loan_reference.in_(references))
                .order_by(i.detected_at, i.right_number, i.reason)
            )
            for row in (await self.session.execute(query)).mappings():
                by_loan[row["loan_reference"]].append(_to_impairment(row))
        return by_loan


def _columns(right: RegisteredRight) -> dict[str, Any]:
    return {
        "right_type": right.right_type,
        "kind": right.kind,
        "filing_date": right.filing_date,
        "grant_date": right.grant_date,
        "expiry_date": right.expiry_date,
        "legal_status": right.legal_status,
        "frozen": right.frozen,
        "invalidation_pending": right.invalidation_pending,
        "main_ipc": right.main_ipc,
        "nice_class": right.nice_class,
        "holder_usccs": list(right.holder_usccs),
        "source_event_version": right.source_event_version,
        "updated_at": right.updated_at,
    }


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(FEN)


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _to_right(row: Any) -> RegisteredRight:
    return RegisteredRight(
        number=row["number"],
        right_type=row["right_type"],
        kind=row["kind"],
        filing_date=_date(row["filing_date"]),
        grant_date=_date(row["grant_date"]),
        expiry_date=_date(row["expiry_date"]) or date.min,
        legal_status=row["legal_status"],
        frozen=bool(row["frozen"]),
        invalidation_pending=bool(row["invalidation_pending"]),
        main_ipc=row["main_ipc"],
        nice_class=row["nice_class"],
        holder_usccs=tuple(row["holder_usccs"]),
        source_event_version=row["source_event_version"],
        updated_at=_utc(row["updated_at"]),
    )


def _collateral_columns(collateral: LoanCollateral) -> dict[str, Any]:
    return {
        "valuation_id": collateral.valuation_id,
        "pledged_at": collateral.pledged_at,
        "released": collateral.released,
        "version": collateral.version,
    }


def _impairment_columns(found: Impairment) -> dict[str, Any]:
    return {
        "right_number": found.right_number,
        "reason": found.reason,
        "valuation_id": found.valuation_id,
        "previous_central": found.previous_central,
        "new_central": found.new_central,
        "detected_at": found.detected_at,
    }


def _to_impairment(row: Any) -> Impairment:
    return Impairment(
        right_number=row["right_number"],
        reason=row["reason"],
        valuation_id=row["valuation_id"],
        previous_central=_money(row["previous_central"]),
        new_central=_money(row["new_central"]),
        detected_at=_utc(row["detected_at"]),
    )


def _signoff_columns(signoff: SignOffRecord) -> dict[str, Any]:
    return {
        "valuation_id": signoff.valuation_id,
        "outcome": signoff.outcome,
        "appraiser_id": signoff.appraiser_id,
        "reason": signoff.reason,
        "before_low": signoff.before.low,
        "before_central": signoff.before.central,
        "before_high": signoff.before.high,
        "after_low": signoff.after.low,
        "after_central": signoff.after.central,
        "after_high": signoff.after.high,
        "recommended_max_loan": signoff.recommended_max_loan,
        "rights": to_primitive(signoff.rights),
        "signed_off_at": signoff.signed_off_at,
    }


def _to_signoff(row: Any) -> SignOffRecord:
    return SignOffRecord(
        valuation_id=row["valuation_id"],
        outcome=row["outcome"],
        appraiser_id=row["appraiser_id"],
        reason=row["reason"],
        before=ValueRange(
            _money(row["before_low"]), _money(row["before_central"]), _money(row["before_high"])
        ),
        after=ValueRange(
            _money(row["after_low"]), _money(row["after_central"]), _money(row["after_high"])
        ),
        recommended_max_loan=_money(row["recommended_max_loan"]),
        rights=tuple(_to_right_value(r) for r in row["rights"]),
        signed_off_at=_utc(row["signed_off_at"]),
    )


def _optional_date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _to_right_value(data: Mapping[str, Any]) -> RightValue:
    return RightValue(
        number=data["number"],
        right_type=data["right_type"],
        kind=data["kind"],
        low=Decimal(data["low"]),
        central=Decimal(data["central"]),
        high=Decimal(data["high"]),
        method=data["method"],
        zero_reason=data["zero_reason"],
        quality_score=_optional_decimal(data["quality_score"]),
        recommended_ltv=Decimal(data["recommended_ltv"]),
        drivers=tuple(DriverData(**driver) for driver in data["drivers"]),
        expiry_date=_optional_date(data.get("expiry_date")),
    )


def _to_completed(row: Any) -> ValuationCompleted:
    result = row["result"]
    return ValuationCompleted(
        valuation_id=row["valuation_id"],
        reference=row["reference"],
        requested_by=row["requested_by"],
        parameter_version=row["parameter_version"],
        as_of=_date(row["as_of"]) or date.min,
        low=_money(row["total_low"]),
        central=_money(row["total_central"]),
        high=_money(row["total_high"]),
        recommended_max_loan=_money(row["recommended_max_loan"]),
        largest_share=Decimal(result["largest_share"]),
        concentration_note=result["concentration_note"],
        rights=tuple(_to_right_value(r) for r in result["rights"]),
        completed_at=_utc(row["created_at"]),
        status=row["status"],
    )
