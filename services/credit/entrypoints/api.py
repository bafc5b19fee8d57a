"""Bank-facing HTTP API of the credit service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from services.credit.adapters.orm import idempotency_keys
from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import Loan, LoanRuleViolation, LoanStatus
from services.credit.domain.policy import Bank
from services.credit.entrypoints.schemas import (
    DefaultIn,
    LoanApplicationIn,
    LoanOut,
    LoanPageOut,
    RepaymentIn,
)
from services.credit.service_layer import handlers, servicing
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from shared.auth import CallingBank
from shared.fields import ResourceId
from shared.http import Problem
from shared.idempotency import (
    REPLAYED_HEADER,
    IdempotencyClaim,
    IdempotencyKey,
    run_idempotent,
)
from shared.openapi import problem_responses

router = APIRouter(prefix="/v1", tags=["loans"], responses=problem_responses(401, 403, 422))


def unit_of_work(request: Request) -> CreditUnitOfWork:
    uow = request.app.state.runtime.unit_of_work()
    assert isinstance(uow, CreditUnitOfWork)
    return uow


def credit_deps(request: Request) -> CreditDeps:
    deps = request.app.state.deps
    assert isinstance(deps, CreditDeps)
    return deps


def current_bank(request: Request, caller: CallingBank) -> Bank:
    """The bank named by the credential, as credit knows it."""
    bank = request.app.state.banks.get(caller.subject)
    if bank is None:
        raise Problem(403, "bank.unknown", "Unknown bank", f"no bank {caller.subject!r}")
    return bank


UowDep = Annotated[CreditUnitOfWork, Depends(unit_of_work)]
Deps = Annotated[CreditDeps, Depends(credit_deps)]
CurrentBank = Annotated[Bank, Depends(current_bank)]


def not_found(loan_id: str) -> Problem:
    return Problem(404, "loan.not_found", "Loan not found", f"no loan {loan_id}")


def refused(exc: LoanRuleViolation, title: str) -> Problem:
    """409 when the loan's state forbids the command, 422 when its content breaks a rule."""
    status = 409 if exc.code.startswith("loan.") else 422
    return Problem(status, exc.code, title, exc.message)


@router.post(
    "/loan-applications",
    status_code=201,
    response_model=LoanOut,
    responses=problem_responses(400, 409),
)
async def submit_application(
    body: LoanApplicationIn,
    bank: CurrentBank,
    deps: Deps,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> LoanOut:
    """Submit a loan application secured by patents and trademarks.

    With an `Idempotency-Key`, a retry returns the loan the first request created.
    """
    collateral = tuple(CollateralRight(c.right_type, c.number) for c in body.collateral)
    command = handlers.ApplyForLoan(
        bank=bank,
        enterprise=Enterprise(**body.enterprise.model_dump()),
        requested_amount=body.requested_amount,
        term_months=body.term_months,
        purpose=body.purpose,
        collateral=collateral,
        attributable_revenue=body.attributable_revenue,
        industry=body.industry,
        programme=body.programme,
    )
    claim = IdempotencyClaim.of(bank.bank_id, idempotency_key, body.model_dump(mode="json"))

    async def replay(uow: CreditUnitOfWork, loan_id: str) -> Loan:
        return await handlers.get_loan(loan_id, bank, uow)

    try:
        loan, replayed = await run_idempotent(
            request.app.state.runtime.unit_of_work,
            idempotency_keys,
            claim,
            lambda uow: handlers.apply_for_loan(command, deps, uow),
            replay,
        )
    except LoanRuleViolation as exc:
        raise Problem(422, exc.code, "Application refused", exc.message) from exc
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return LoanOut.of(loan)


@router.get("/loans", response_model=LoanPageOut)
async def list_loans(
    bank: CurrentBank,
    uow: UowDep,
    status: Annotated[LoanStatus | None, Query(description="Only loans in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="Loans to skip")] = 0,
) -> LoanPageOut:
    """The bank's own loans, newest first, a page at a time."""
    async with uow:
        total, page = await handlers.list_loans(
            bank, limit, offset, status.value if status else None, uow
        )
    return LoanPageOut(
        total=total, limit=limit, offset=offset, items=[LoanOut.of(loan) for loan in page]
    )


@router.get("/loans/{loan_id}", response_model=LoanOut, responses=problem_responses(404))
async def get_loan(loan_id: ResourceId, bank: CurrentBank, uow: UowDep) -> LoanOut:
    """Read one of the bank's loans."""
    async with uow:
        try:
            return LoanOut.of(await handlers.get_loan(loan_id, bank, uow))
        except handlers.LoanNotFound as exc:
            raise not_found(loan_id) from exc


@router.post(
    "/loans/{loan_id}/offer/accept",
    response_model=LoanOut,
    responses=problem_responses(400, 404, 409),
)
async def accept_offer(
    loan_id: ResourceId,
    bank: CurrentBank,
    deps: Deps,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> LoanOut:
    """Accept the credit offer; the pledge is filed with the registry.

    With an `Idempotency-Key`, a retry returns the loan as the first acceptance left it.
    """
    claim = IdempotencyClaim.of(bank.bank_id, idempotency_key, {"accept": loan_id})

    async def replay(uow: CreditUnitOfWork, resource_id: str) -> Loan:
        return await handlers.get_loan(resource_id, bank, uow)

    try:
        loan, replayed = await run_idempotent(
            request.app.state.runtime.unit_of_work,
            idempotency_keys,
            claim,
            lambda uow: handlers.accept_offer(loan_id, bank, deps, uow),
            replay,
        )
    except handlers.LoanNotFound as exc:
        raise not_found(loan_id) from exc
    except LoanRuleViolation as exc:
        raise Problem(409, exc.code, "Offer cannot be accepted", exc.message) from exc
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return LoanOut.of(loan)


@router.post(
    "/loans/{loan_id}/repayments",
    status_code=201,
    response_model=LoanOut,
    responses=problem_responses(400, 404, 409),
)
async def record_repayment(
    loan_id: ResourceId,
    body: RepaymentIn,
    bank: CurrentBank,
    deps: Deps,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> LoanOut:
    """Report principal repaid (retry safely with an Idempotency-Key); zero releases the pledge."""
    command = servicing.RecordRepayment(loan_id, body.amount, body.paid_at)

    async def action(uow: CreditUnitOfWork) -> Loan:
        return await servicing.record_repayment(command, bank, deps, uow)

    return await _idempotent(request, response, bank, idempotency_key, body, action, "repayment")


@router.post(
    "/loans/{loan_id}/default",
    response_model=LoanOut,
    responses=problem_responses(400, 404, 409),
)
async def declare_default(
    loan_id: ResourceId,
    body: DefaultIn,
    bank: CurrentBank,
    deps: Deps,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> LoanOut:
    """Declare the borrower in default; claims for the loss go to the programme's parties."""
    command = servicing.DeclareDefault(loan_id, body.declared_at, body.recovered_amount)

    async def action(uow: CreditUnitOfWork) -> Loan:
        return await servicing.declare_default(command, bank, deps, uow)

    return await _idempotent(request, response, bank, idempotency_key, body, action, "default")


async def _idempotent(
    request: Request,
    response: Response,
    bank: Bank,
    key: str | None,
    body: Any,
    action: Callable[[CreditUnitOfWork], Awaitable[Loan]],
    what: str,
) -> LoanOut:
    loan_id = request.path_params["loan_id"]
    claim = IdempotencyClaim.of(
        bank.bank_id, key, {"loan_id": loan_id, what: body.model_dump(mode="json")}
    )

    async def replay(uow: CreditUnitOfWork, resource_id: str) -> Loan:
        return await handlers.get_loan(resource_id, bank, uow)

    try:
        loan, replayed = await run_idempotent(
            request.app.state.runtime.unit_of_work, idempotency_keys, claim, action, replay
        )
    except handlers.LoanNotFound as exc:
        raise not_found(loan_id) from exc
    except LoanRuleViolation as exc:
        raise refused(exc, f"The {what} cannot be recorded") from exc
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return LoanOut.of(loan)
