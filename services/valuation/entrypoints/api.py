"""HTTP API of the valuation service: on-demand valuations for banks, the read model, replays."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from services.valuation.adapters.orm import idempotency_keys
from services.valuation.domain import Comparable
from services.valuation.entrypoints.deps import OFFICE_STAFF, CurrentBank, Policy, UowDep
from services.valuation.entrypoints.schemas import (
    ReproductionOut,
    RightOut,
    ValuationOut,
    ValuationRequestIn,
)
from services.valuation.service_layer import handlers, reproduction
from services.valuation.service_layer.records import ValuationRecord
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from shared.fields import Line, PatentRef, ResourceId, TrademarkRef
from shared.http import Problem
from shared.idempotency import REPLAYED_HEADER, IdempotencyClaim, IdempotencyKey, run_idempotent
from shared.identifiers import InvalidIdentifier
from shared.openapi import problem_responses

router = APIRouter(responses=problem_responses(401, 403, 422))


def _rights(rights: list[PatentRef | TrademarkRef]) -> tuple[handlers.RightRef, ...]:
    refs = tuple(handlers.RightRef(r.right_type, r.number) for r in rights)
    if len(set(refs)) != len(refs):
        raise Problem(422, "rights.duplicate", "Duplicate right", "a right is listed twice")
    return refs


def _register_number(number: str) -> str:
    for right_type in ("patent", "trademark"):
        try:
            return handlers.canonical_number(right_type, number)
        except InvalidIdentifier:
            continue
    return number


@router.post(
    "/v1/valuations",
    status_code=201,
    response_model=ValuationOut,
    tags=["valuations"],
    responses=problem_responses(400, 409),
)
async def create_valuation(
    body: ValuationRequestIn,
    bank: CurrentBank,
    policy: Policy,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ValuationOut:
    """Value patents and trademarks on demand, outside a loan application.

    With an `Idempotency-Key`, a retry returns the valuation the first request made.
    """
    command = handlers.ValueCollateral(
        reference=None,
        requested_by=bank,
        rights=_rights(body.rights),
        annual_revenue=body.annual_revenue,
        revenue_growth=body.revenue_growth,
        industry=body.industry,
        high_tech=body.high_tech,
        comparables=tuple(Comparable(c.price, c.similarity) for c in body.comparables),
        replacement_cost=body.replacement_cost,
        policy=policy,
    )
    claim = IdempotencyClaim.of(bank, idempotency_key, body.model_dump(mode="json"))

    async def replay(uow: ValuationUnitOfWork, valuation_id: str) -> ValuationRecord:
        return await handlers.get_valuation(valuation_id, bank, uow)

    record, replayed = await run_idempotent(
        request.app.state.runtime.unit_of_work,
        idempotency_keys,
        claim,
        lambda uow: handlers.request_valuation(command, uow),
        replay,
    )
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return ValuationOut.of(record)


@router.get(
    "/v1/valuations/{valuation_id}",
    response_model=ValuationOut,
    tags=["valuations"],
    responses=problem_responses(404),
)
async def get_valuation(valuation_id: ResourceId, bank: CurrentBank, uow: UowDep) -> ValuationOut:
    """Read a valuation the calling bank requested."""
    async with uow:
        try:
            record = await handlers.get_valuation(valuation_id, bank, uow)
        except handlers.ValuationNotFound as exc:
            raise valuation_not_found(valuation_id) from exc
    return ValuationOut.of(record)


@router.get(
    "/internal/v1/rights/{number}",
    response_model=RightOut,
    tags=["operations"],
    responses=problem_responses(404),
    dependencies=[OFFICE_STAFF],
)
async def get_right(
    number: Annotated[Line, Path(max_length=40, description="Patent or trademark number")],
    uow: UowDep,
) -> RightOut:
    """Show a right as the registry's events have recorded it."""
    async with uow:
        try:
            right = await handlers.get_right(_register_number(number), uow)
        except handlers.RightNotFound as exc:
            raise Problem(404, "right.not_found", "Right not found", f"no right {number}") from exc
    return RightOut.of(right)


@router.post(
    "/internal/v1/valuations/{valuation_id}/reproduce",
    response_model=ReproductionOut,
    tags=["operations"],
    responses=problem_responses(404, 409),
    dependencies=[OFFICE_STAFF],
)
async def reproduce_valuation(valuation_id: ResourceId, uow: UowDep) -> ReproductionOut:
    """Run a valuation again on its stored inputs, register snapshot and parameter version."""
    async with uow:
        try:
            result = await reproduction.reproduce(valuation_id, uow)
        except handlers.ValuationNotFound as exc:
            raise valuation_not_found(valuation_id) from exc
        except reproduction.ParametersUnavailable as exc:
            raise Problem(
                409, "parameters.unavailable", "Parameter version unavailable", str(exc)
            ) from exc
    return ReproductionOut.of(result)


def valuation_not_found(valuation_id: str) -> Problem:
    """The problem answered for an unknown valuation."""
    return Problem(
        404, "valuation.not_found", "Valuation not found", f"no valuation {valuation_id}"
    )
