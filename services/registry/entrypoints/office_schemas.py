"""Bodies of the registry office's internal endpoints: calendar, recordals, statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.domain.calendar import YearSchedule
from services.registry.domain.recordal import Recordal
from services.registry.domain.register import Holder
from services.registry.domain.statistics import DeskStatistics
from services.registry.entrypoints.schemas import HolderIn
from services.registry.service_layer.calendar import YearView
from shared.fields import Day, RequestModel


class YearScheduleIn(RequestModel):
    """A year's schedule from the State Council's notice."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "holidays": ["2027-01-01", "2027-02-06", "2027-02-08", "2027-02-09"],
                    "makeup_workdays": ["2027-02-14"],
                }
            ]
        }
    )

    holidays: list[Day] = Field(max_length=366, description="Public holidays (days off)")
    makeup_workdays: list[Day] = Field(
        default_factory=list, max_length=104, description="Weekend days declared working days"
    )

    def to_domain(self, year: int) -> YearSchedule:
        return YearSchedule(year, frozenset(self.holidays), frozenset(self.makeup_workdays))


class YearOut(BaseModel):
    year: int = Field(description="Calendar year")
    source: str = Field(description="official_notice (entered here) or library")
    non_working_weekdays: list[date] = Field(
        description="Monday-to-Friday dates that are public holidays (no working days)"
    )
    working_weekend_days: list[date] = Field(
        description="Saturdays and Sundays declared working days (make-up days)"
    )

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


class TransferIn(RequestModel):
    """A transfer of the patent to new holders (patentee of record first)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "assignees": [
                        {
                            "name": "Qingdao Marine Instruments Co., Ltd.",
                            "uscc": "913702007180012344",
                        }
                    ],
                    "pledgee_consent": True,
                }
            ]
        }
    )

    assignees: list[HolderIn] = Field(
        min_length=1,
        max_length=20,
        description="The new holders of the patent, patentee of record first",
    )
    pledgee_consent: bool = Field(
        default=False, description="The pledgee consents, if the patent is pledged"
    )

    def parties(self) -> tuple[Holder, ...]:
        return _holders(self.assignees)


class LicenceIn(RequestModel):
    """A licence of the patent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "licensees": [
                        {
                            "name": "Qingdao Marine Instruments Co., Ltd.",
                            "uscc": "913702007180012344",
                        }
                    ],
                    "licence_type": "ordinary",
                    "pledgee_consent": True,
                }
            ]
        }
    )

    licensees: list[HolderIn] = Field(
        min_length=1, max_length=20, description="The enterprises licensed to exploit the patent"
    )
    licence_type: Literal["exclusive", "sole", "ordinary"] = Field(
        description="exclusive, sole or ordinary licence"
    )
    pledgee_consent: bool = Field(
        default=False, description="The pledgee consents, if the patent is pledged"
    )

    def parties(self) -> tuple[Holder, ...]:
        return _holders(self.licensees)


class PartyHolderOut(BaseModel):
    name: str = Field(description="Registered name of the assignee or licensee")
    uscc: str = Field(
        description="Unified Social Credit Code (GB 32100-2015) of the assignee or licensee"
    )


class RecordalOut(BaseModel):
    recordal_id: str = Field(description="Identifier of the recordal")
    kind: str = Field(description="transfer or licence")
    right_number: str = Field(description="Patent application number, in register form")
    parties: list[PartyHolderOut] = Field(description="The assignees or licensees recorded")
    licence_type: str | None = Field(description="exclusive, sole or ordinary, for a licence")
    pledgee_consent: bool = Field(
        description="Whether the pledgee consented to the transfer or licence"
    )
    pledge_registration_number: str | None = Field(
        description="Registration number of the pledge on the patent at the time, if pledged"
    )
    recorded_at: datetime = Field(description="When the recordal was entered (UTC)")

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

    from_: date | None = Field(
        serialization_alias="from",
        description="First Beijing date of the period; empty for no lower bound",
    )
    to: date | None = Field(
        description="Last Beijing date of the period, inclusive; empty for no upper bound"
    )
    received: int = Field(description="Filings received in the period")
    registered: int = Field(description="Of those, filings registered")
    refused: int = Field(description="Of those, filings refused")
    pending: int = Field(description="Of those, filings not yet decided")
    refusals_by_reason: dict[str, int] = Field(
        description="Number of refusals by refusal ground code"
    )
    median_seconds_to_decision: float | None = Field(
        description="Median time from receipt to decision, in seconds"
    )
    p95_seconds_to_decision: float | None = Field(
        description="95th percentile of the time from receipt to decision, in seconds"
    )
    decided_within_deadline_share: float | None = Field(
        description="Share of decided filings decided within their deadline, 0 to 1"
    )

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
