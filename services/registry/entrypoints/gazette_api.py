"""The public register and gazette: pledge registrations, changes and cancellations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.registry.domain.gazette import RegisterEntry
from services.registry.entrypoints.deps import UowDep
from services.registry.service_layer import gazette
from shared.http import Problem
from shared.identifiers import (
    InvalidIdentifier,
    normalize_uscc,
    parse_patent_number,
    parse_trademark_number,
)

router = APIRouter(prefix="/v1/register", tags=["public register"])


class PartyEntryOut(BaseModel):
    name: str
    uscc: str


class RegisterEntryOut(BaseModel):
    entry_type: str
    registration_number: str
    right_number: str
    right_kind: str
    main_ipc: str | None
    grant_date: date | None
    pledgor: PartyEntryOut
    pledgee: PartyEntryOut
    registration_date: date
    entered_at: datetime
    reason: str | None
    changed: list[str]

    @classmethod
    def of(cls, entry: RegisterEntry) -> RegisterEntryOut:
        return cls(
            entry_type=entry.entry_type.value,
            registration_number=entry.registration_number,
            right_number=entry.right_number,
            right_kind=entry.right_kind,
            main_ipc=entry.main_ipc,
            grant_date=entry.grant_date,
            pledgor=PartyEntryOut(name=entry.pledgor.name, uscc=entry.pledgor.uscc),
            pledgee=PartyEntryOut(name=entry.pledgee.name, uscc=entry.pledgee.uscc),
            registration_date=entry.registration_date,
            entered_at=entry.entered_at,
            reason=entry.reason,
            changed=list(entry.changed),
        )


class RegisterPageOut(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[RegisterEntryOut]


def _right_number(text: str) -> str:
    try:
        return parse_patent_number(text).canonical
    except InvalidIdentifier:
        pass
    try:
        return parse_trademark_number(text)
    except InvalidIdentifier as exc:
        raise Problem(
            422, "right.number_invalid", "Not a patent or trademark number", text
        ) from exc


def _uscc(text: str) -> str:
    try:
        return normalize_uscc(text)
    except InvalidIdentifier as exc:
        raise Problem(422, exc.code, "Invalid identifier", str(exc)) from exc


@router.get("/entries", response_model=RegisterPageOut)
async def register_entries(
    uow: UowDep,
    right: Annotated[str | None, Query(description="Patent or trademark number")] = None,
    party_uscc: Annotated[str | None, Query(description="Pledgor or pledgee")] = None,
    from_: Annotated[date | None, Query(alias="from", description="Beijing date")] = None,
    to: Annotated[date | None, Query(description="Beijing date, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RegisterPageOut:
    """Registrations, changes and cancellations of pledges, newest first."""
    if from_ is not None and to is not None and to < from_:
        raise Problem(422, "period.invalid", "The period ends before it starts")
    query = gazette.GazetteQuery(
        right=_right_number(right) if right else None,
        party_uscc=_uscc(party_uscc) if party_uscc else None,
        entered_from=from_,
        entered_to=to,
        limit=limit,
        offset=offset,
    )
    async with uow:
        page = await gazette.search(query, uow)
    items = [RegisterEntryOut.of(entry) for entry in page.entries]
    return RegisterPageOut(total=page.total, limit=limit, offset=offset, items=items)
