"""Dependencies of the valuation API as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from services.valuation.service_layer.handlers import RESERVED_REQUESTERS, ValuationPolicy
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from shared.http import Problem


def unit_of_work(request: Request) -> ValuationUnitOfWork:
    uow = request.app.state.runtime.unit_of_work()
    assert isinstance(uow, ValuationUnitOfWork)
    return uow


def policy(request: Request) -> ValuationPolicy:
    return request.app.state.policy


def current_bank(x_bank_id: Annotated[str, Header(max_length=64)]) -> str:
    bank_id = x_bank_id.strip()
    if not bank_id or bank_id in RESERVED_REQUESTERS:
        raise Problem(401, "bank.unknown", "Unknown bank", f"no bank {x_bank_id!r}")
    return bank_id


def current_appraiser(x_appraiser_id: Annotated[str, Header(max_length=64)]) -> str:
    appraiser_id = x_appraiser_id.strip()
    if not appraiser_id:
        raise Problem(401, "appraiser.unknown", "Unknown appraiser", "X-Appraiser-Id is blank")
    return appraiser_id


UowDep = Annotated[ValuationUnitOfWork, Depends(unit_of_work)]
CurrentBank = Annotated[str, Depends(current_bank)]
CurrentAppraiser = Annotated[str, Depends(current_appraiser)]
Policy = Annotated[ValuationPolicy, Depends(policy)]
