"""HTTP APIs of the registry: filings for banks, the register for the registry office."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.exc import IntegrityError

from services.registry.entrypoints.schemas import (
    PatentIn,
    PledgeFilingIn,
    PledgeFilingOut,
    TrademarkIn,
)
from services.registry.service_layer import handlers
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.http import Problem
from shared.identifiers import InvalidIdentifier, parse_patent_number, parse_trademark_number
from shared.workdays import OfficialCalendar, beijing_date

public = APIRouter(prefix="/v1", tags=["pledge filings"])
internal = APIRouter(prefix="/internal/v1", tags=["register (registry office)"])

CONFLICT_RETRIES = 3


def unit_of_work(request: Request) -> RegistryUnitOfWork:
    uow = request.app.state.runtime.unit_of_work()
    assert isinstance(uow, RegistryUnitOfWork)
    return uow


def official_calendar(request: Request) -> OfficialCalendar:
    calendar = request.app.state.calendar
    assert isinstance(calendar, OfficialCalendar)
    return calendar


UowDep = Annotated[RegistryUnitOfWork, Depends(unit_of_work)]
CalendarDep = Annotated[OfficialCalendar, Depends(official_calendar)]


def _canonical(parse: Callable[[str], object], number: str) -> str:
    try:
        return str(parse(number))
    except InvalidIdentifier as exc:
        raise Problem(422, exc.code, "Invalid identifier", str(exc)) from exc


def _same_right(in_path: str, in_body: str) -> None:
    if in_path != in_body:
        raise Problem(422, "right.number_mismatch", "Path and body name different rights", in_path)


@public.post("/pledge-filings", status_code=201, response_model=PledgeFilingOut)
async def file_pledge(
    body: PledgeFilingIn, request: Request, calendar: CalendarDep
) -> PledgeFilingOut:
    """File a pledge registration; a clean filing is registered at once."""
    command = handlers.FilePledge(
        data=body.to_domain(beijing_date(datetime.now(UTC))), channel="api", filing_reference=None
    )
    for attempt in range(1, CONFLICT_RETRIES + 1):
        async with unit_of_work(request) as uow:
            try:
                filing = await handlers.file_pledge(command, calendar, uow)
                await uow.commit()
                return PledgeFilingOut.of(filing)
            except IntegrityError:
                if attempt == CONFLICT_RETRIES:
                    raise
    raise AssertionError("unreachable")


@public.get("/pledge-filings/{filing_id}", response_model=PledgeFilingOut)
async def get_filing(filing_id: str, uow: UowDep) -> PledgeFilingOut:
    """Read a filing with its status, findings and registration number."""
    async with uow:
        try:
            return PledgeFilingOut.of(await handlers.get_filing(filing_id, uow))
        except handlers.FilingNotFound as exc:
            raise Problem(404, "filing.not_found", "Filing not found", filing_id) from exc


@internal.put("/patents/{number}", status_code=200, response_model=PatentIn)
async def put_patent(number: str, body: PatentIn, uow: UowDep) -> PatentIn:
    """Enter or update a patent on the register."""
    _same_right(_canonical(parse_patent_number, number), body.number)
    async with uow:
        await handlers.record_patent(body.to_domain(), uow)
        await uow.commit()
    return body


@internal.put("/trademarks/{number}", status_code=200, response_model=TrademarkIn)
async def put_trademark(number: str, body: TrademarkIn, uow: UowDep) -> TrademarkIn:
    """Enter or update a trademark on the register."""
    _same_right(_canonical(parse_trademark_number, number), body.number)
    async with uow:
        await handlers.record_trademark(body.to_domain(), uow)
        await uow.commit()
    return body
