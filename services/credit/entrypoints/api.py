"""Bank-facing HTTP API of the credit service: each route builds one command or query."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import LoanStatus
from services.credit.domain.policy import Bank
from services.credit.entrypoints.schemas import (
    DefaultIn,
    LoanApplicationIn,
    LoanOut,
    LoanPageOut,
    RepaymentIn,
)
from services.credit.service_layer import commands as c
from services.credit.service_layer.deps import CreditDeps
from shared.auth import CallingBank
from shared.fields import ResourceId
from shared.http import Messages
from shared.idempotency import (
    KEY_REQUIRED_OPENAPI,
    IdempotencyKey,
    RequiredIdempotencyKey,
    handle_keyed,
)
from shared.openapi import problem_responses

router = APIRouter(prefix="/v1", tags=["loans"], responses=problem_responses(401, 403, 422))


def deps_of(request: Request) -> CreditDeps:
    deps = request.app.state.deps
    assert isinstance(deps, CreditDeps)
    return deps


async def current_bank(request: Request, caller: CallingBank) -> Bank:
    """The calling bank with its lending terms; a listed bank without them may not borrow."""
    return deps_of(request).bank(caller.subject)


CurrentBank = Annotated[Bank, Depends(current_bank)]


@router.post(
    "/loan-applications",
    status_code=201,
    response_model=LoanOut,
    responses=problem_responses(400, 409),
)
async def submit_application(
    body: LoanApplicationIn,
    bank: CurrentBank,
    messages: Messages,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> LoanOut:
    """Submit a loan application secured by patents and trademarks.

    With an `Idempotency-Key`, a retry returns the loan the first request created.
    """
    collateral = tuple(CollateralRight(r.right_type, r.number) for r in body.collateral)
    command = c.ApplyForLoan(
        bank_id=bank.bank_id,
        enterprise=Enterprise(**body.enterprise.model_dump()),
        requested_amount=body.requested_amount,
        term_months=body.term_months,
        purpose=body.purpose,
        collateral=collateral,
        attributable_revenue=body.attributable_revenue,
        industry=body.industry,
        programme=body.programme,
    )
    return LoanOut.of(
        await handle_keyed(
            messages,
            command,
            response,
            caller=bank.bank_id,
            key=idempotency_key,
            request=body.model_dump(mode="json"),
        )
    )


@router.get("/loans", response_model=LoanPageOut)
async def list_loans(
    bank: CurrentBank,
    messages: Messages,
    status: Annotated[LoanStatus | None, Query(description="Only loans in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="Loans to skip")] = 0,
) -> LoanPageOut:
    """The bank's own loans, newest first, a page at a time."""
    query = c.ListLoans(bank.bank_id, limit, offset, status.value if status else None)
    total, page = await messages.query(query)
    return LoanPageOut(
        total=total, limit=limit, offset=offset, items=[LoanOut.of(loan) for loan in page]
    )


@router.get("/loans/{loan_id}", response_model=LoanOut, responses=problem_responses(404))
async def get_loan(loan_id: ResourceId, bank: CurrentBank, messages: Messages) -> LoanOut:
    """Read one of the bank's loans."""
    return LoanOut.of(await messages.query(c.GetLoan(loan_id, bank.bank_id)))


@router.post(
    "/loans/{loan_id}/offer/accept",
    response_model=LoanOut,
    responses=problem_responses(400, 404, 409),
)
async def accept_offer(
    loan_id: ResourceId,
    bank: CurrentBank,
    messages: Messages,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> LoanOut:
    """Accept the credit offer; the pledge is filed with the registry.

    With an `Idempotency-Key`, a retry returns the loan as the first acceptance left it.
    """
    return LoanOut.of(
        await handle_keyed(
            messages,
            c.AcceptOffer(loan_id, bank.bank_id),
            response,
            caller=bank.bank_id,
            key=idempotency_key,
            request={"accept": loan_id},
        )
    )


@router.post(
    "/loans/{loan_id}/repayments",
    status_code=201,
    response_model=LoanOut,
    responses=problem_responses(400, 404, 409, 428),
    openapi_extra=KEY_REQUIRED_OPENAPI,
)
async def record_repayment(
    loan_id: ResourceId,
    body: RepaymentIn,
    bank: CurrentBank,
    messages: Messages,
    response: Response,
    idempotency_key: RequiredIdempotencyKey,
) -> LoanOut:
    """Report principal repaid; zero outstanding releases the pledge.

    The `Idempotency-Key` is required: a retry with the same key returns the loan as the first
    request left it, so a repayment is never recorded twice.
    """
    command = c.RecordRepayment(loan_id, bank.bank_id, body.amount, body.paid_at)
    request = {"loan_id": loan_id, "repayment": body.model_dump(mode="json")}
    return LoanOut.of(
        await handle_keyed(
            messages, command, response, caller=bank.bank_id, key=idempotency_key, request=request
        )
    )


@router.post(
    "/loans/{loan_id}/default",
    response_model=LoanOut,
    responses=problem_responses(400, 404, 409, 428),
    openapi_extra=KEY_REQUIRED_OPENAPI,
)
async def declare_default(
    loan_id: ResourceId,
    body: DefaultIn,
    bank: CurrentBank,
    messages: Messages,
    response: Response,
    idempotency_key: RequiredIdempotencyKey,
) -> LoanOut:
    """Declare the borrower in default; claims for the loss go to the programme's parties.

    The `Idempotency-Key` is required, so a retried declaration raises its claims once.
    """
    command = c.DeclareDefault(loan_id, bank.bank_id, body.declared_at, body.recovered_amount)
    request = {"loan_id": loan_id, "default": body.model_dump(mode="json")}
    return LoanOut.of(
        await handle_keyed(
            messages, command, response, caller=bank.bank_id, key=idempotency_key, request=request
        )
    )
