"""Dependencies of the registry's routes as `Annotated` aliases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from services.registry.service_layer.deps import RegistryDeps
from shared.auth import CallingBank, Principal, Role, staff
from shared.http import Problem


def deps_of(request: Request) -> RegistryDeps:
    deps = request.app.state.deps
    assert isinstance(deps, RegistryDeps)
    return deps


async def current_time(request: Request) -> datetime:
    now = deps_of(request).clock.now()
    assert isinstance(now, datetime) and now.tzinfo is not None
    return now


async def examiner_id(
    caller: Annotated[Principal, Depends(staff(Role.EXAMINER, Role.SUPERVISOR))],
) -> str:
    """The examiner or supervisor deciding, from their credential."""
    return caller.subject


async def bank_uscc(caller: CallingBank) -> str:
    """The USCC of the calling bank, the pledgee it files and holds pledges as."""
    if not caller.uscc:
        raise Problem(403, "bank.unknown", "Unknown bank", f"no USCC for {caller.subject!r}")
    return caller.uscc


NowDep = Annotated[datetime, Depends(current_time)]
ExaminerDep = Annotated[str, Depends(examiner_id)]
BankDep = CallingBank
BankUscc = Annotated[str, Depends(bank_uscc)]
OFFICE = (Role.EXAMINER, Role.SUPERVISOR, Role.ADMINISTRATOR)
