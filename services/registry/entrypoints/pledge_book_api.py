"""The register of pledges by pledgee, for the office and for reconciliation with credit."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from services.registry.entrypoints.pledge_schemas import PledgeBookPageOut, PledgeOnRecordOut
from services.registry.service_layer import pledges
from shared.auth import Role, staff
from shared.fields import ResourceId, Uscc
from shared.http import Messages
from shared.openapi import problem_responses

router = APIRouter(
    prefix="/internal/v1",
    tags=["register (registry office)"],
    dependencies=[Depends(staff(Role.SUPERVISOR, Role.ADMINISTRATOR, Role.OPERATOR))],
    responses=problem_responses(401, 403, 422),
)


@router.get("/pledges", response_model=PledgeBookPageOut)
async def pledges_of_pledgee(
    messages: Messages,
    pledgee_uscc: Annotated[Uscc, Query(description="USCC of the pledgee")],
    after: Annotated[
        str, Query(max_length=20, description="Last registration number of the previous page")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    status: Annotated[
        Literal["active"] | None, Query(description="active: leave out cancelled pledges")
    ] = None,
) -> PledgeBookPageOut:
    """The pledges registered to a pledgee, active or cancelled, by registration number."""
    query = pledges.PledgesOfPledgee(pledgee_uscc, after, limit, status == "active")
    found = await messages.query(query)
    items = [PledgeOnRecordOut.on_record(filing) for filing in found]
    full = len(items) == limit
    return PledgeBookPageOut(
        items=items, next_after=items[-1].registration_number if full else None
    )


@router.get(
    "/pledges/{registration_number}",
    response_model=PledgeOnRecordOut,
    responses=problem_responses(404),
)
async def pledge_on_record(
    registration_number: ResourceId, messages: Messages
) -> PledgeOnRecordOut:
    """A registered pledge, whoever holds it, with how its filing came in."""
    filing = await messages.query(pledges.GetPledge(registration_number))
    return PledgeOnRecordOut.on_record(filing)
