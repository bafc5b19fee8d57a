"""The register read model, valuations with their sign-offs, pledges and impairments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.valuation.adapters.orm import (
    impairments,
    pledged_collateral,
    rights,
    signoffs,
    valuations,
)
from services.valuation.domain import PROVISIONAL, ValueRange
from services.valuation.service_layer.events import (
    DriverData,
    RightValue,
    ValuationCompleted,
    ValuationImpaired,
)
from services.valuation.service_layer.records import (
    Pledge,
    RegisteredRight,
    SignOffRecord,
    ValuationRecord,
)
from shared.envelope import to_primitive

FEN = Decimal("0.01")


class RightRepository:
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


class ValuationRepository:
    """Valuations are written once and never changed; a provisional one gets one sign-off."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, valuation: ValuationCompleted, inputs: Mapping[str, Any]) -> None:
        """Store a completed valuation with its inputs."""
        await self.session.execute(
            valuations.insert().values(
                valuation_id=valuation.valuation_id,
                reference=valuation.reference,
                requested_by=valuation.requested_by,
                parameter_version=valuation.parameter_version,
                as_of=valuation.as_of,
                total_low=valuation.low,
                total_central=valuation.central,
                total_high=valuation.high,
                recommended_max_loan=valuation.recommended_max_loan,
                result={
                    "largest_share": to_primitive(valuation.largest_share),
                    "concentration_note": valuation.concentration_note,
                    "rights": to_primitive(valuation.rights),
                },
                inputs=to_primitive(dict(inputs)),
                created_at=valuation.completed_at,
                status=valuation.status,
            )
        )

    async def get(self, valuation_id: str) -> ValuationRecord | None:
        """The valuation with its sign-off, or None."""
        query = select(valuations).where(valuations.c.valuation_id == valuation_id)
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        return ValuationRecord(_to_valuation(row), row["inputs"], await self._signoff(row))

    async def latest_for(self, reference: str, requested_by: str) -> ValuationRecord | None:
        """The latest valuation made for this requester under this reference, or None."""
        query = (
            select(valuations.c.valuation_id)
            .where(valuations.c.reference == reference, valuations.c.requested_by == requested_by)
            .order_by(valuations.c.created_at.desc(), valuations.c.valuation_id.desc())
            .limit(1)
        )
        found = (await self.session.execute(query)).scalar_one_or_none()
        return None if found is None else await self.get(found)

    async def pending(self, limit: int, after: str | None = None) -> list[ValuationRecord]:
        """Provisional valuations without a sign-off, oldest first, after the valuation `after`."""
        v = valuations.c
        signed = exists().where(signoffs.c.valuation_id == v.valuation_id)
        query = select(valuations).where(v.status == PROVISIONAL, ~signed)
        if after is not None:
            since = select(v.created_at).where(v.valuation_id == after).scalar_subquery()
            query = query.where(
                or_(v.created_at > since, and_(v.created_at == since, v.valuation_id > after))
            )
        query = query.order_by(v.created_at, v.valuation_id).limit(limit)
        rows = (await self.session.execute(query)).mappings().all()
        return [ValuationRecord(_to_valuation(row), row["inputs"]) for row in rows]

    async def add_signoff(self, signoff: SignOffRecord) -> bool:
        """Store the sign-off; False if the valuation already has one."""
        try:
            async with self.session.begin_nested():
                await self.session.execute(signoffs.insert().values(_signoff_columns(signoff)))
        except IntegrityError:
            return False
        return True

    async def _signoff(self, row: Any) -> SignOffRecord | None:
        query = select(signoffs).where(signoffs.c.valuation_id == row["valuation_id"])
        found = (await self.session.execute(query)).mappings().first()
        return None if found is None else _to_signoff(found)


class PledgeRepository:
    """Rights pledged for disbursed loans, fed by credit's events."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, pledges: Iterable[Pledge], pledged_at: datetime) -> None:
        """Record the pledges not recorded yet."""
        for pledge in pledges:
            key = (
                pledged_collateral.c.right_number == pledge.right_number,
                pledged_collateral.c.loan_reference == pledge.loan_reference,
            )
            query = select(func.count()).select_from(pledged_collateral).where(*key)
            if await self.session.scalar(query):
                continue
            await self.session.execute(
                pledged_collateral.insert().values(**_pledge_columns(pledge), pledged_at=pledged_at)
            )

    async def for_right(self, number: str) -> list[Pledge]:
        """The live pledges of a right."""
        query = select(pledged_collateral).where(pledged_collateral.c.right_number == number)
        rows = (await self.session.execute(query)).mappings().all()
        return [_to_pledge(row) for row in rows]

    async def lock_loan(self, loan_reference: str) -> str | None:
        """Lock a loan's pledges until commit; returns the valuation its value rests on."""
        query = (
            select(pledged_collateral.c.valuation_id)
            .where(pledged_collateral.c.loan_reference == loan_reference)
            .order_by(pledged_collateral.c.right_number)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalars().first()

    async def release(self, loan_reference: str) -> int:
        """Forget a loan's pledges; returns how many there were."""
        result = await self.session.execute(
            pledged_collateral.delete().where(pledged_collateral.c.loan_reference == loan_reference)
        )
        return int(cast(CursorResult[Any], result).rowcount)

    async def rebase(self, loan_reference: str, valuation_id: str) -> None:
        """From now on the loan's collateral value rests on `valuation_id`."""
        await self.session.execute(
            pledged_collateral.update()
            .where(pledged_collateral.c.loan_reference == loan_reference)
            .values(valuation_id=valuation_id)
        )


class ImpairmentRepository:
    """Impairments found, one per (loan, right, reason)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def seen(self, loan_reference: str, right_number: str, reason: str) -> bool:
        """Whether this impairment was found before."""
        c = impairments.c
        query = (
            select(func.count())
            .select_from(impairments)
            .where(
                c.loan_reference == loan_reference,
                c.right_number == right_number,
                c.reason == reason,
            )
        )
        return bool(await self.session.scalar(query))

    async def add(self, impairment: ValuationImpaired) -> int:
        """Store an impairment; returns how many the loan has had, this one included."""
        await self.session.execute(
            impairments.insert().values(
                loan_reference=impairment.loan_reference,
                right_number=impairment.right_number,
                reason=impairment.reason,
                valuation_id=impairment.valuation_id,
                previous_central=impairment.previous_central,
                new_central=impairment.new_central,
                detected_at=impairment.detected_at,
            )
        )
        query = select(func.count()).select_from(impairments)
        query = query.where(impairments.c.loan_reference == impairment.loan_reference)
        return int(await self.session.scalar(query) or 0)


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


def _pledge_columns(pledge: Pledge) -> dict[str, Any]:
    return {
        "right_number": pledge.right_number,
        "loan_reference": pledge.loan_reference,
        "valuation_id": pledge.valuation_id,
    }


def _to_pledge(row: Any) -> Pledge:
    return Pledge(row["right_number"], row["loan_reference"], row["valuation_id"])


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


def _to_valuation(row: Any) -> ValuationCompleted:
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
