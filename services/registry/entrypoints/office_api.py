"""Internal endpoints of the registry office: calendar, transfers and licences, statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.registry.domain.recordal import LicenceType, RecordalKind
from services.registry.entrypoints.deps import CalendarDep, NowDep, UowDep, in_transaction
from services.registry.entrypoints.office_schemas import (
    LicenceIn,
    RecordalOut,
    StatisticsOut,
    TransferIn,
    YearOut,
    YearScheduleIn,
)
from services.registry.service_layer import calendar as calendars
from services.registry.service_layer import recordals, statistics
from shared.auth import Role, staff
from shared.fields import Day, PatentNumber
from shared.http import Problem
from shared.openapi import problem_responses

router = APIRouter(
    prefix="/internal/v1",
    tags=["register (registry office)"],
    dependencies=[Depends(staff(Role.EXAMINER, Role.SUPERVISOR, Role.ADMINISTRATOR))],
    responses=problem_responses(401, 403, 422),
)

Year = Annotated[int, Path(ge=1949, le=2200)]


@router.put("/calendar/{year}", response_model=YearOut, responses=problem_responses(404, 409))
async def put_calendar_year(
    year: Year,
    body: YearScheduleIn,
    request: Request,
    uow: UowDep,
    calendar: CalendarDep,
    now: NowDep,
) -> YearOut:
    """Enter a year's official schedule; it applies at once, no release needed."""
    schedule = body.to_domain(year)
    version = await in_transaction(request, lambda tx: calendars.save_year(schedule, now, tx))
    book: calendars.CalendarBook = request.app.state.calendar_book
    book.install(schedule, version)
    async with uow:
        return YearOut.of(await calendars.describe_year(year, calendar, uow))


@router.get("/calendar/{year}", response_model=YearOut, responses=problem_responses(404))
async def get_calendar_year(year: Year, uow: UowDep, calendar: CalendarDep) -> YearOut:
    """A year's non-working weekdays and working weekend days."""
    async with uow:
        return YearOut.of(await calendars.describe_year(year, calendar, uow))


@router.post(
    "/patents/{number}/transfers",
    status_code=201,
    response_model=RecordalOut,
    responses=problem_responses(404, 409),
)
async def record_transfer(
    number: PatentNumber, body: TransferIn, request: Request, now: NowDep
) -> RecordalOut:
    """Record a transfer; refused while the patent is pledged without the pledgee's consent."""
    command = recordals.RecordDisposal(
        RecordalKind.TRANSFER,
        number,
        body.parties(),
        body.pledgee_consent,
        now,
    )
    recordal = await in_transaction(request, lambda uow: recordals.record_disposal(command, uow))
    return RecordalOut.of(recordal)


@router.post(
    "/patents/{number}/licences",
    status_code=201,
    response_model=RecordalOut,
    responses=problem_responses(404, 409),
)
async def record_licence(
    number: PatentNumber, body: LicenceIn, request: Request, now: NowDep
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
    recordal = await in_transaction(request, lambda uow: recordals.record_disposal(command, uow))
    return RecordalOut.of(recordal)


@router.get("/statistics", response_model=StatisticsOut, response_model_by_alias=True)
async def desk_statistics(
    uow: UowDep,
    from_: Annotated[Day | None, Query(alias="from", description="Beijing date")] = None,
    to: Annotated[Day | None, Query(description="Beijing date, inclusive")] = None,
) -> StatisticsOut:
    """Filings received in a period: outcomes, refusal grounds, time to decision, deadlines met."""
    if from_ is not None and to is not None and to < from_:
        raise Problem(422, "period.invalid", "The period ends before it starts")
    async with uow:
        figures = await statistics.desk_figures(from_, to, uow)
    return StatisticsOut.of(from_, to, figures)
