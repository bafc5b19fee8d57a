"""Bodies of the registry office's internal endpoints: calendar, recordals, statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.registry.domain.calendar import YearSchedule
from services.registry.domain.recordal import Recordal
from services.registry.domain.register import Holder
from services.registry.domain.statistics import DeskStatistics
from services.registry.entrypoints.schemas import HolderIn
from services.registry.service_layer.calendar import YearView


class YearScheduleIn(BaseModel):
    """A year's schedule from the State Council's notice."""

    holidays: list[date] = Field(max_length=366, description="Public holidays (days off)")
    makeup_workdays: list[date] = Field(
        default_factory=list, max_length=104, description="Weekend days declared working days"
    )

    def to_domain(self, year: int) -> YearSchedule:
        return YearSchedule(year, frozenset(self.holidays), frozenset(self.makeup_workdays))


class YearOut(BaseModel):
    year: int
    source: str = Field(description="official_notice (entered here) or library")
    non_working_weekdays: list[date]
    working_weekend_days: list[date]

    @classmethod
    def of(cls, view: YearView) -> YearOut:
        return cls(
            year=view.year,
            source=view.source,
            non_working_weekdays=view.non_working_weekdays,
            working_weekend_days=view.working_weekend_days,
        )


def _holders(parties: list[HolderIn]) -> tuple[Holder, ...]:
    return tuple(Holder(p.name, p.uscc) for p in parties)


class TransferIn(BaseModel):
    """A transfer of the patent to new holders (patentee of record first)."""

    assignees: list[HolderIn] = Field(min_length=1, max_length=20)
    pledgee_consent: bool = Field(
        default=False, description="The pledgee consents, if the patent is pledged"
    )

    def parties(self) -> tuple[Holder, ...]:
        return _holders(self.assignees)


class LicenceIn(BaseModel):
    """A licence of the patent."""

    licensees: list[HolderIn] = Field(min_length=1, max_length=20)
    licence_type: Literal["exclusive", "sole", "ordinary"]
    pledgee_consent: bool = Field(
        default=False, description="The pledgee consents, if the patent is pledged"
    )

    def parties(self) -> tuple[Holder, ...]:
        return _holders(self.licensees)


class PartyHolderOut(BaseModel):
    name: str
    uscc: str


class RecordalOut(BaseModel):
    recordal_id: str
    kind: str
    right_number: str
    parties: list[PartyHolderOut]
    licence_type: str | None
    pledgee_consent: bool
    pledge_registration_number: str | None
    recorded_at: datetime

    @classmethod
    def of(cls, recordal: Recordal) -> RecordalOut:
        return cls(
            recordal_id=recordal.recordal_id,
            kind=recordal.kind.value,
            right_number=recordal.right_number,
            parties=[PartyHolderOut(name=p.name, uscc=p.uscc) for p in recordal.parties],
            licence_type=recordal.licence_type,
            pledgee_consent=recordal.pledgee_consent,
            pledge_registration_number=recordal.pledge_registration_number,
            recorded_at=recordal.recorded_at,
        )


class StatisticsOut(BaseModel):
    """Figures over the filings received in the period (Beijing dates, inclusive)."""

    from_: date | None = Field(serialization_alias="from")
    to: date | None
    received: int
    registered: int
    refused: int
    pending: int
    refusals_by_reason: dict[str, int]
    median_seconds_to_decision: float | None
    p95_seconds_to_decision: float | None
    decided_within_deadline_share: float | None

    @classmethod
    def of(cls, first: date | None, last: date | None, figures: DeskStatistics) -> StatisticsOut:
        return cls(
            from_=first,
            to=last,
            received=figures.received,
            registered=figures.registered,
            refused=figures.refused,
            pending=figures.pending,
            refusals_by_reason=figures.refusals_by_reason,
            median_seconds_to_decision=figures.median_seconds_to_decision,
            p95_seconds_to_decision=figures.p95_seconds_to_decision,
            decided_within_deadline_share=figures.decided_within_deadline_share,
        )
