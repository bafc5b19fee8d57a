"""The public register and gazette: pledge registrations, changes and cancellations."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema

from services.registry.domain.gazette import RegisterEntry
from services.registry.service_layer import gazette
from shared.fields import PATENT_NUMBER_PATTERN, TRADEMARK_NUMBER_PATTERN, Day, Uscc
from shared.http import Messages, Problem
from shared.identifiers import InvalidIdentifier, parse_patent_number, parse_trademark_number
from shared.openapi import problem_responses
from shared.text import clean_line

RIGHT_NUMBER_PATTERN = f"{PATENT_NUMBER_PATTERN}|{TRADEMARK_NUMBER_PATTERN}"
PATENT = re.compile(PATENT_NUMBER_PATTERN)

router = APIRouter(
    prefix="/v1/register", tags=["public register"], responses=problem_responses(422)
)


class PartyEntryOut(BaseModel):
    name: str = Field(description="Registered name of the enterprise")
    uscc: str = Field(description="Unified Social Credit Code (GB 32100-2015) of the enterprise")


class RegisterEntryOut(BaseModel):
    entry_type: str = Field(description="registration, change or cancellation of a pledge")
    registration_number: str = Field(description="Pledge registration number")
    right_number: str = Field(
        description="Patent application number or trademark registration number pledged"
    )
    right_kind: str = Field(description="patent or trademark")
    main_ipc: str | None = Field(
        description="Main International Patent Classification symbol, for a patent"
    )
    grant_date: date | None = Field(description="Date the patent was granted, for a patent")
    pledgor: PartyEntryOut = Field(description="The right holder who pledged the right")
    pledgee: PartyEntryOut = Field(description="The creditor holding the pledge")
    registration_date: date = Field(description="Beijing date the pledge was registered")
    entered_at: datetime = Field(description="When this entry was made in the register (UTC)")
    reason: str | None = Field(description="Ground of a cancellation")
    changed: list[str] = Field(description="Terms replaced, for a change entry")

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
    total: int = Field(description="Number of entries matching the query")
    limit: int = Field(description="Page size asked for")
    offset: int = Field(description="Entries skipped before this page")
    items: list[RegisterEntryOut] = Field(description="This page's entries, newest first")


def _right_number(text: str) -> str:
    text = clean_line(text)
    try:
        return parse_patent_number(text).canonical
    except InvalidIdentifier:
        if PATENT.fullmatch(text) is not None:
            raise
    try:
        return parse_trademark_number(text)
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(
            "right.number_invalid", f"not a patent or trademark number: {text[:40]!r}"
        ) from exc


RightNumber = Annotated[
    str,
    Field(max_length=20),
    AfterValidator(_right_number),
    WithJsonSchema(
        {"type": "string", "maxLength": 20, "pattern": RIGHT_NUMBER_PATTERN},
    ),
]


@router.get("/entries", response_model=RegisterPageOut)
async def register_entries(
    messages: Messages,
    right: Annotated[RightNumber | None, Query(description="Patent or trademark number")] = None,
    party_uscc: Annotated[Uscc | None, Query(description="Pledgor or pledgee")] = None,
    from_: Annotated[Day | None, Query(alias="from", description="Beijing date")] = None,
    to: Annotated[Day | None, Query(description="Beijing date, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RegisterPageOut:
    """Registrations, changes and cancellations of pledges, newest first."""
    if from_ is not None and to is not None and to < from_:
        raise Problem(422, "period.invalid", "The period ends before it starts")
    query = gazette.GazetteQuery(
        right=right,
        party_uscc=party_uscc,
        entered_from=from_,
        entered_to=to,
        limit=limit,
        offset=offset,
    )
    page = await messages.query(query)
    items = [RegisterEntryOut.of(entry) for entry in page.entries]
    return RegisterPageOut(total=page.total, limit=limit, offset=offset, items=items)
