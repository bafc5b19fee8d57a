"""Internal endpoints of the registry office: calendar, transfers and licences, statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.registry.domain.recordal import LicenceType, RecordalKind
from services.registry.entrypoints.deps import NowDep
from services.registry.entrypoints.office_schemas import (
    LicenceIn,
    RecordalOut,
    ScheduleVersionOut,
    StatisticsOut,
    TransferIn,
    YearScheduleIn,
)
from services.registry.service_layer import calendar as calendars
from services.registry.service_layer import recordals, statistics
from shared.auth import Principal, Role, staff
from shared.calendar_api import YearOut, YearPath, book_of, year_out
from shared.fields import Day, PatentNumber
from shared.http import Messages, Problem
from shared.openapi import problem_responses
from shared.workdays import Notice

router = APIRouter(
    prefix="/internal/v1",
    tags=["register (registry office)"],
    dependencies=[Depends(staff(Role.EXAMINER, Role.SUPERVISOR, Role.ADMINISTRATOR))],
    responses=problem_responses(401, 403, 422),
)


@router.put(
    "/calendar/{year}",
    response_model=YearOut,
    responses=problem_responses(404, 409),
    dependencies=[Depends(staff(Role.SUPERVISOR, Role.ADMINISTRATOR))],
)
async def put_calendar_year(
    year: YearPath,
    body: YearScheduleIn,
    request: Request,
    caller: Annotated[Principal, Depends(staff(Role.SUPERVISOR, Role.ADMINISTRATOR))],
    messages: Messages,
    now: NowDep,
) -> YearOut:
    """Enter or amend a year's official schedule; every service counts on it, no release needed.

    The schedule becomes the year's next version and is announced on
    `pledgeflow.registry.calendar`; open deadlines it moves are counted anew and announced.
    """
    book = book_of(request)
    command = calendars.EnterSchedule(
        year,
        frozenset(body.holidays),
        frozenset(body.makeup_workdays),
        Notice(body.notice.reference, body.notice.published_on),
        caller.subject,
        now,
    )
    stored = (await messages.handle(command)).result
    book.install(stored)
    return year_out(book, year)


@router.get(
    "/calendar/{year}/versions",
    response_model=list[ScheduleVersionOut],
    responses=problem_responses(404),
    dependencies=[Depends(staff(Role.SUPERVISOR, Role.ADMINISTRATOR))],
)
async def calendar_year_versions(year: YearPath, messages: Messages) -> list[ScheduleVersionOut]:
    """Every version of a year's schedule entered here, oldest first, with who entered it."""
    history = await messages.query(calendars.ScheduleHistory(year))
    return [ScheduleVersionOut.of(stored) for stored in history]


@router.post(
    "/patents/{number}/transfers",
    status_code=201,
    response_model=RecordalOut,
    responses=problem_responses(404, 409),
)
async def record_transfer(
    number: PatentNumber, body: TransferIn, messages: Messages, now: NowDep
) -> RecordalOut:
    """Record a transfer; refused while the patent is pledged without the pledgee's consent."""
    command = recordals.RecordDisposal(
        RecordalKind.TRANSFER,
        number,
        body.parties(),
        body.pledgee_consent,
        now,
    )
    return RecordalOut.of((await messages.handle(command)).result)


@router.post(
    "/patents/{number}/licences",
    status_code=201,
    response_model=RecordalOut,
    responses=problem_responses(404, 409),
)
async def record_licence(
    number: PatentNumber, body: LicenceIn, messages: Messages, now: NowDep
) -> RecordalOut:
    """Record a licence; refused while the patent is pledged without the pledgee's consent."""
    command = recordals.RecordDisposal(
        RecordalKind.LICENCE,
        number,
        body.parties(),
        body.pledgee_consent,
        now,
        LicenceType(body.licence_type),
    )
    return RecordalOut.of((await messages.handle(command)).result)


@router.get("/statistics", response_model=StatisticsOut, response_model_by_alias=True)
async def desk_statistics(
    messages: Messages,
    from_: Annotated[Day | None, Query(alias="from", description="Beijing date")] = None,
    to: Annotated[Day | None, Query(description="Beijing date, inclusive")] = None,
) -> StatisticsOut:
    """Filings received in a period: outcomes, refusal grounds, time to decision, deadlines met."""
    if from_ is not None and to is not None and to < from_:
        raise Problem(422, "period.invalid", "The period ends before it starts")
    figures = await messages.query(statistics.DeskFigures(from_, to))
    return StatisticsOut.of(from_, to, figures)
