"""Dependencies of the registry's routes, and the transaction a route runs its use case in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.registry.adapters.orm import idempotency_keys
from services.registry.domain.pledge import PledgeFiling
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import CallingBank, Principal, Role, staff
from shared.http import Problem
from shared.idempotency import IdempotencyClaim, previous_resource
from shared.workdays import OfficialCalendar

T = TypeVar("T")

CONFLICT_RETRIES = 3


def unit_of_work(request: Request) -> RegistryUnitOfWork:
    uow = request.app.state.runtime.unit_of_work()
    assert isinstance(uow, RegistryUnitOfWork)
    return uow


def official_calendar(request: Request) -> OfficialCalendar:
    calendar = request.app.state.calendar
    assert isinstance(calendar, OfficialCalendar)
    return calendar


def current_time(request: Request) -> datetime:
    now = request.app.state.clock()
    assert isinstance(now, datetime) and now.tzinfo is not None
    return now


def examiner_id(
    caller: Annotated[Principal, Depends(staff(Role.EXAMINER, Role.SUPERVISOR))],
) -> str:
    """The examiner or supervisor deciding, from their credential."""
    return caller.subject


def own_filing(caller: Principal, filing: PledgeFiling) -> PledgeFiling:
    """The filing if the calling bank is its pledgee; another bank's looks like a missing one."""
    if not caller.uscc or filing.data.pledgee.uscc != caller.uscc:
        raise Problem(404, "filing.not_found", "Filing not found", filing.filing_id)
    return filing


UowDep = Annotated[RegistryUnitOfWork, Depends(unit_of_work)]
CalendarDep = Annotated[OfficialCalendar, Depends(official_calendar)]
NowDep = Annotated[datetime, Depends(current_time)]
ExaminerDep = Annotated[str, Depends(examiner_id)]
BankDep = CallingBank
OFFICE = (Role.EXAMINER, Role.SUPERVISOR, Role.ADMINISTRATOR)


async def in_transaction(
    request: Request,
    operation: Callable[[RegistryUnitOfWork], Awaitable[T]],
    idempotency: IdempotencyClaim | None = None,
) -> T:
    """Run a use case in its own transaction, again when a concurrent writer got there first.

    With an idempotency claim, the key is stored with the effect; when a concurrent request
    with the same key got there first, the write is refused instead of tried again.
    """
    for attempt in range(1, CONFLICT_RETRIES + 1):
        try:
            async with unit_of_work(request) as uow:
                uow.idempotency = idempotency
                result = await operation(uow)
                await uow.commit()
                return result
        except (IntegrityError, StaleDataError) as exc:
            if idempotency is not None:
                await _refuse_concurrent_duplicate(request, idempotency)
            if attempt == CONFLICT_RETRIES:
                raise Problem(
                    409, "registry.write_conflict", "Changed concurrently; try again"
                ) from exc
    raise AssertionError("unreachable")


async def earlier_write(
    request: Request, owner: str, key: str | None, payload: object
) -> tuple[IdempotencyClaim | None, str | None]:
    """The claim for a keyed write to this path, and the resource it made if already done."""
    claim = IdempotencyClaim.of(owner, key, {"path": request.url.path, "body": payload})
    if claim is None:
        return None, None
    async with unit_of_work(request) as uow:
        return claim, await previous_resource(uow.session, idempotency_keys, claim)


async def _refuse_concurrent_duplicate(request: Request, claim: IdempotencyClaim) -> None:
    async with unit_of_work(request) as uow:
        if await previous_resource(uow.session, idempotency_keys, claim) is not None:
            raise Problem(
                409,
                "idempotency.conflict",
                "A request with this Idempotency-Key was processed concurrently",
                "retry to receive its result",
            )
