"""`GET /internal/v1/calendar/{year}`: the working-day schedule a service counts on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from shared.auth import Role, staff
from shared.calendars import CalendarBook, YearView
from shared.http import Problem
from shared.openapi import problem_responses
from shared.workdays import CalendarSource, CalendarYearNotLoaded


class NoticeOut(BaseModel):
    reference: str = Field(description="Reference of the State Council notice")
    published_on: date = Field(description="Date the notice was published")


class YearOut(BaseModel):
    """The working-day schedule in force for a year in this service."""

    year: int = Field(description="Calendar year")
    source: str = Field(
        description="official_notice (entered by the registry office), library (the calendar "
        "library's published years) or provisional_statutory_rule (the holiday regulations "
        "alone: statutory days off, weekends off, no make-up days)"
    )
    provisional: bool = Field(
        description="Whether deadlines counted through this year may still move"
    )
    version: int = Field(description="Version of the official schedule; 0 without a notice")
    notice: NoticeOut | None = Field(description="The notice the schedule comes from")
    entered_by: str | None = Field(description="Who entered the schedule at the registry")
    entered_at: datetime | None = Field(description="When it was entered (UTC)")
    non_working_weekdays: list[date] = Field(description="Monday-to-Friday dates that are days off")
    working_weekend_days: list[date] = Field(
        description="Saturdays and Sundays declared working days (make-up days)"
    )

    @classmethod
    def of(cls, view: YearView) -> YearOut:
        notice = view.notice
        return cls(
            year=view.year,
            source=view.source.value,
            provisional=view.source is CalendarSource.PROVISIONAL,
            version=view.version,
            notice=NoticeOut(reference=notice.reference, published_on=notice.published_on)
            if notice
            else None,
            entered_by=view.entered_by,
            entered_at=view.entered_at,
            non_working_weekdays=view.non_working_weekdays,
            working_weekend_days=view.working_weekend_days,
        )


YearPath = Annotated[int, Path(ge=1949, le=2200, description="Calendar year")]


def book_of(request: Request) -> CalendarBook:
    """The calendar book of the app serving the request."""
    book = request.app.state.calendar_book
    assert isinstance(book, CalendarBook)
    return book


def year_out(book: CalendarBook, year: int) -> YearOut:
    """The schedule in force for `year`, or 404 `calendar.year_not_loaded`."""
    try:
        return YearOut.of(book.view(year))
    except CalendarYearNotLoaded as exc:
        raise Problem(
            404,
            "calendar.year_not_loaded",
            "No working-day schedule for this year",
            f"no schedule for {year}; enter the State Council's notice",
        ) from exc


def calendar_router(*roles: Role, tag: str) -> APIRouter:
    """`GET /internal/v1/calendar/{year}` for the given staff roles."""
    router = APIRouter(
        prefix="/internal/v1",
        tags=[tag],
        dependencies=[Depends(staff(*roles))],
        responses=problem_responses(401, 403, 404, 422),
    )

    @router.get("/calendar/{year}", response_model=YearOut)
    async def calendar_year(year: YearPath, request: Request) -> YearOut:
        """The working-day schedule this service counts deadlines on for a year."""
        return year_out(book_of(request), year)

    return router
