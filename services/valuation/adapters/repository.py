"""The register read model and the valuations, in and out of the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.valuation.adapters.orm import rights, valuations
from services.valuation.service_layer.events import DriverData, RightValue, ValuationCompleted
from services.valuation.service_layer.records import RegisteredRight, ValuationRecord
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
    """Valuations are written once and never changed."""

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
            )
        )

    async def get(self, valuation_id: str) -> ValuationRecord | None:
        """The valuation, or None."""
        query = select(valuations).where(valuations.c.valuation_id == valuation_id)
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else ValuationRecord(_to_valuation(row), row["inputs"])


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
    )
