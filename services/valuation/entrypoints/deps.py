"""Dependencies of the valuation API as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.valuation.service_layer.handlers import RESERVED_REQUESTERS
from shared.auth import CallingBank, Principal, Role, staff
from shared.http import Problem


async def current_bank(caller: CallingBank) -> str:
    """The calling bank's id, from its credential."""
    if caller.subject in RESERVED_REQUESTERS:
        raise Problem(403, "bank.reserved_name", "This bank id is reserved")
    return caller.subject


async def current_appraiser(
    caller: Annotated[Principal, Depends(staff(Role.APPRAISER, Role.SUPERVISOR))],
) -> str:
    """The appraiser signing off, from their credential."""
    return caller.subject


OFFICE_STAFF = Depends(staff(Role.APPRAISER, Role.SUPERVISOR, Role.ADMINISTRATOR))


CurrentBank = Annotated[str, Depends(current_bank)]
CurrentAppraiser = Annotated[str, Depends(current_appraiser)]
