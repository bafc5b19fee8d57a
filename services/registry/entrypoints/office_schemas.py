"""Bodies of the registry office's internal endpoints: calendar, recordals, statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.domain.recordal import Recordal
from services.registry.domain.register import Holder
from services.registry.domain.statistics import DeskStatistics
from services.registry.entrypoints.schemas import HolderIn
from shared.calendars import StoredSchedule
from shared.fields import Day, Line, RequestModel


class NoticeIn(RequestModel):
    """The State Council notice the schedule comes from."""

    reference: Line = Field(max_length=100, description="Reference, e.g. 国办发明电〔2026〕5号")
    published_on: Day = Field(description="Date the notice was published")


class YearScheduleIn(RequestModel):
    """A year's schedule from the State Council's notice."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "notice": {"reference": "国办发明电〔2024〕12号", "published_on": "2024-11-12"},
                    "holidays": [
                        "2025-01-01",
                        "2025-01-28",
                        "2025-01-29",
                        "2025-01-30",
                        "2025-01-31",
                        "2025-02-03",
                        "2025-02-04",
                        "2025-04-04",
                        "2025-05-01",
                        "2025-05-02",
                        "2025-05-05",
                        "2025-06-02",
                        "2025-10-01",
                        "2025-10-02",
                        "2025-10-03",
                        "2025-10-06",
                        "2025-10-07",
                        "2025-10-08",
                    ],
                    "makeup_workdays": [
                        "2025-01-26",
                        "2025-02-08",
                        "2025-04-27",
                        "2025-09-28",
                        "2025-10-11",
                    ],
                }
            ]
        }
    )

    notice: NoticeIn = Field(description="The notice the schedule comes from")
    holidays: list[Day] = Field(
        max_length=366,
        description="Days off; every statutory holiday on a weekday must be among them "
        "(weekend days may be listed too)",
    )
    makeup_workdays: list[Day] = Field(
        default_factory=list, max_length=104, description="Weekend days declared working days"
    )


class ScheduleVersionOut(BaseModel):
    """One version of a year's schedule as it was entered."""

    year: int = Field(description="Calendar year")
    version: int = Field(description="Version; the highest is in force")
    notice_reference: str = Field(description="Reference of the State Council notice")
    notice_published_on: date = Field(description="Date the notice was published")
    holidays: list[date] = Field(description="Days off as entered")
    makeup_workdays: list[date] = Field(description="Weekend days declared working days")
    entered_by: str = Field(description="Who entered this version")
    entered_at: datetime = Field(description="When it was entered (UTC)")

    @classmethod
    def of(cls, stored: StoredSchedule) -> ScheduleVersionOut:
        schedule = stored.schedule
        assert schedule.notice is not None
        return cls(
            year=schedule.year,
            version=schedule.version,
            notice_reference=schedule.notice.reference,
            notice_published_on=schedule.notice.published_on,
            holidays=sorted(schedule.holidays),
            makeup_workdays=sorted(schedule.makeup_workdays),
            entered_by=stored.entered_by,
            entered_at=stored.entered_at,
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
