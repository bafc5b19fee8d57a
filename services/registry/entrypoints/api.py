"""HTTP APIs of the registry: filings for banks, the register for the registry office."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.registry.entrypoints.deps import OFFICE, BankDep, BankUscc, NowDep
from services.registry.entrypoints.schemas import (
    PatentIn,
    PledgeFilingIn,
    PledgeFilingOut,
    TrademarkIn,
)
from services.registry.service_layer import examination, handlers
from shared.auth import bank, staff
from shared.fields import PatentNumber, ResourceId, TrademarkNumber
from shared.http import Messages, Problem
from shared.idempotency import IdempotencyKey, handle_keyed
from shared.openapi import problem_responses
from shared.workdays import beijing_date

public = APIRouter(
    prefix="/v1",
    tags=["pledge filings"],
    dependencies=[Depends(bank)],
    responses=problem_responses(401, 403, 422),
)
internal = APIRouter(
    prefix="/internal/v1",
    tags=["register (registry office)"],
    dependencies=[Depends(staff(*OFFICE))],
    responses=problem_responses(401, 403, 422),
)


def _same_right(in_path: str, in_body: str) -> None:
    if in_path != in_body:
        raise Problem(422, "right.number_mismatch", "Path and body name different rights", in_path)


@public.post(
    "/pledge-filings",
    status_code=201,
    response_model=PledgeFilingOut,
    responses=problem_responses(400, 409),
)
async def file_pledge(
    body: PledgeFilingIn,
    response: Response,
    messages: Messages,
    now: NowDep,
    caller: BankDep,
    uscc: BankUscc,
    idempotency_key: IdempotencyKey = None,
) -> PledgeFilingOut:
    """File a pledge registration; a clean filing is registered at once.

    With an `Idempotency-Key`, a retry returns the filing the first request created.
    """
    command = handlers.FilePledge(
        data=body.to_domain(beijing_date(now)),
        channel="api",
        filing_reference=None,
        received_at=now,
        caller_uscc=uscc,
    )
    request = {"path": "/v1/pledge-filings", "body": body.model_dump(mode="json")}
    return PledgeFilingOut.of(
        await handle_keyed(
            messages, command, response, caller=caller.subject, key=idempotency_key, request=request
        )
    )


@public.get(
    "/pledge-filings/{filing_id}", response_model=PledgeFilingOut, responses=problem_responses(404)
)
async def get_filing(filing_id: ResourceId, messages: Messages, uscc: BankUscc) -> PledgeFilingOut:
    """Read a filing with its status, findings, decisions and registration number."""
    return PledgeFilingOut.of(await messages.query(handlers.GetFiling(filing_id, uscc)))


@public.post(
    "/pledge-filings/{filing_id}/correction",
    response_model=PledgeFilingOut,
    responses=problem_responses(400, 404, 409),
)
async def correct_filing(
    filing_id: ResourceId,
    body: PledgeFilingIn,
    response: Response,
    messages: Messages,
    now: NowDep,
    caller: BankDep,
    uscc: BankUscc,
    idempotency_key: IdempotencyKey = None,
) -> PledgeFilingOut:
    """Send the correction an examiner asked for; the deadline restarts from its arrival.

    Only the terms the examiner's request names may change; never the parties or the rights.
    """
    command = examination.CorrectFiling(filing_id, uscc, body.to_domain(beijing_date(now)), now)
    request = {
        "path": f"/v1/pledge-filings/{filing_id}/correction",
        "body": body.model_dump(mode="json"),
    }
    return PledgeFilingOut.of(
        await handle_keyed(
            messages, command, response, caller=caller.subject, key=idempotency_key, request=request
        )
    )


@internal.put(
    "/patents/{number:right_number}",
    status_code=200,
    response_model=PatentIn,
    responses=problem_responses(404),
)
async def put_patent(
    number: PatentNumber, body: PatentIn, messages: Messages, now: NowDep
) -> PatentIn:
    """Enter or update a patent on the register; a self-contradictory entry is refused."""
    _same_right(number, body.number)
    await messages.handle(handlers.RecordRights((body.to_domain(),), beijing_date(now)))
    return body


@internal.put(
    "/trademarks/{number:right_number}",
    status_code=200,
    response_model=TrademarkIn,
    responses=problem_responses(404),
)
async def put_trademark(
    number: TrademarkNumber, body: TrademarkIn, messages: Messages, now: NowDep
) -> TrademarkIn:
    """Enter or update a trademark on the register; a self-contradictory entry is refused."""
    _same_right(number, body.number)
    await messages.handle(handlers.RecordRights((body.to_domain(),), beijing_date(now)))
    return body
