"""Internal endpoints of the registry office: calendar, transfers and licences, statistics."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.registry.domain.recordal import LicenceType, RecordalKind
from services.registry.entrypoints.api import canonical
from services.registry.entrypoints.deps import NowDep, registry_deps
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
from shared.http import Messages, Problem
from shared.identifiers import parse_patent_number
from shared.openapi import problem_responses

router = APIRouter(
    prefix="/internal/v1",
    tags=["register (registry office)"],
    dependencies=[Depends(staff(Role.EXAMINER, Role.SUPERVISOR, Role.ADMINISTRATOR))],
    responses=problem_responses(401, 403, 422),
)

Year = Annotated[int, Path(ge=1949, le=2200)]


@router.put(
    "/calendar/{year}",
    response_model=YearOut,
    responses=problem_responses(404, 409),
    dependencies=[Depends(staff(Role.SUPERVISOR, Role.ADMINISTRATOR))],
)
async def put_calendar_year(
    year: Year,
    body: YearScheduleIn,
    request: Request,
    messages: Messages,
    now: NowDep,
) -> YearOut:
    """Enter a year's official schedule (supervisors and administrators); it applies at once."""
    schedule = body.to_domain(year)
    version = (await messages.handle(calendars.SaveYear(schedule, now))).result
    registry_deps(request).book.install(schedule, version)
    return YearOut.of(await messages.query(calendars.DescribeYear(year)))


@router.get("/calendar/{year}", response_model=YearOut, responses=problem_responses(404))
async def get_calendar_year(year: Year, messages: Messages) -> YearOut:
    """A year's non-working weekdays and working weekend days."""
    return YearOut.of(await messages.query(calendars.DescribeYear(year)))


@router.post(
    "/patents/{number}/transfers",
    status_code=201,
    response_model=RecordalOut,
    responses=problem_responses(404, 409),
)
async def record_transfer(
    number: str, body: TransferIn, messages: Messages, now: NowDep
) -> RecordalOut:
    """Record a transfer; refused while the patent is pledged without the pledgee's consent."""
    command = recordals.RecordDisposal(
        RecordalKind.TRANSFER,
        canonical(parse_patent_number, number),
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
    number: str, body: LicenceIn, messages: Messages, now: NowDep
) -> RecordalOut:
    """Record a licence; refused while the patent is pledged without the pledgee's consent."""
    command = recordals.RecordDisposal(
        RecordalKind.LICENCE,
        canonical(parse_patent_number, number),
        body.parties(),
        body.pledgee_consent,
        now,
        LicenceType(body.licence_type),
    )
    return RecordalOut.of((await messages.handle(command)).result)


@router.get("/statistics", response_model=StatisticsOut, response_model_by_alias=True)
async def desk_statistics(
    messages: Messages,
    from_: Annotated[date | None, Query(alias="from", description="Beijing date")] = None,
    to: Annotated[date | None, Query(description="Beijing date, inclusive")] = None,
) -> StatisticsOut:
    """Filings received in a period: outcomes, refusal grounds, time to decision, deadlines met."""
    if from_ is not None and to is not None and to < from_:
        raise Problem(422, "period.invalid", "The period ends before it starts")
    figures = await messages.query(statistics.DeskFigures(from_, to))
    return StatisticsOut.of(from_, to, figures)
