"""HTTP API of the valuation service: each route builds one command or query for the bus."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.valuation.domain import Comparable
from services.valuation.domain.records import RightRef
from services.valuation.domain.valuation import Valuation
from services.valuation.entrypoints.deps import OFFICE_STAFF, CurrentBank
from services.valuation.entrypoints.schemas import (
    ReproductionOut,
    RightOut,
    ValuationOut,
    ValuationRequestIn,
)
from services.valuation.service_layer import commands as c
from shared.fields import Line, ResourceId
from shared.http import Messages
from shared.idempotency import IdempotencyKey, handle_keyed
from shared.openapi import problem_responses

router = APIRouter(responses=problem_responses(401, 403, 422))


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
    messages: Messages,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ValuationOut:
    """Value patents and trademarks on demand, outside a loan application.

    With an `Idempotency-Key`, a retry returns the valuation the first request made.
    """
    command = c.ValueRights(
        requested_by=bank,
        rights=tuple(RightRef(r.right_type, r.number) for r in body.rights),
        figures=c.BankFigures(
            annual_revenue=body.annual_revenue,
            revenue_growth=body.revenue_growth,
            industry=body.industry,
            high_tech=body.high_tech,
            comparables=tuple(Comparable(x.price, x.similarity) for x in body.comparables),
            replacement_cost=body.replacement_cost,
        ),
    )
    result = await handle_keyed(
        messages,
        command,
        response,
        caller=bank,
        key=idempotency_key,
        request=body.model_dump(mode="json"),
    )
    assert isinstance(result, Valuation)
    return ValuationOut.of(result)


@router.get(
    "/v1/valuations/{valuation_id}",
    response_model=ValuationOut,
    tags=["valuations"],
    responses=problem_responses(404),
)
async def get_valuation(
    valuation_id: ResourceId, bank: CurrentBank, messages: Messages
) -> ValuationOut:
    """Read a valuation the calling bank requested."""
    return ValuationOut.of(await messages.query(c.GetValuation(valuation_id, bank)))


@router.get(
    "/internal/v1/rights/{number}",
    response_model=RightOut,
    tags=["operations"],
    responses=problem_responses(404),
    dependencies=[OFFICE_STAFF],
)
async def get_right(
    number: Annotated[Line, Path(max_length=40, description="Patent or trademark number")],
    messages: Messages,
) -> RightOut:
    """Show a right as the registry's events have recorded it."""
    return RightOut.of(await messages.query(c.GetRight(number)))


@router.post(
    "/internal/v1/valuations/{valuation_id}/reproduce",
    response_model=ReproductionOut,
    tags=["operations"],
    responses=problem_responses(404, 409),
    dependencies=[OFFICE_STAFF],
)
async def reproduce_valuation(valuation_id: ResourceId, messages: Messages) -> ReproductionOut:
    """Run a valuation again on its stored inputs, register snapshot and parameter version."""
    return ReproductionOut.of(await messages.query(c.ReproduceValuation(valuation_id)))
