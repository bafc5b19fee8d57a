"""Bank-facing HTTP API of the credit service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from services.credit.domain.events import CollateralRight, Enterprise
from services.credit.domain.loan import LoanRuleViolation
from services.credit.domain.policy import Bank
from services.credit.entrypoints.schemas import LoanApplicationIn, LoanOut
from services.credit.service_layer import handlers
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from shared.http import Problem
from shared.identifiers import InvalidIdentifier

router = APIRouter(prefix="/v1", tags=["loans"])


def unit_of_work(request: Request) -> CreditUnitOfWork:
    uow = request.app.state.runtime.unit_of_work()
    assert isinstance(uow, CreditUnitOfWork)
    return uow


def current_bank(request: Request, x_bank_id: Annotated[str, Header()]) -> Bank:
    bank = request.app.state.banks.get(x_bank_id)
    if bank is None:
        raise Problem(401, "bank.unknown", "Unknown bank", f"no bank {x_bank_id!r}")
    return bank


UowDep = Annotated[CreditUnitOfWork, Depends(unit_of_work)]
CurrentBank = Annotated[Bank, Depends(current_bank)]


def _not_found(loan_id: str) -> Problem:
    return Problem(404, "loan.not_found", "Loan not found", f"no loan {loan_id}")


@router.post("/loan-applications", status_code=201, response_model=LoanOut)
async def submit_application(body: LoanApplicationIn, bank: CurrentBank, uow: UowDep) -> LoanOut:
    """Submit a loan application secured by patents and trademarks."""
    try:
        collateral = tuple(CollateralRight(c.right_type, c.canonical()) for c in body.collateral)
    except InvalidIdentifier as exc:
        raise Problem(422, exc.code, "Invalid identifier", str(exc)) from exc
    command = handlers.ApplyForLoan(
        bank=bank,
        enterprise=Enterprise(**body.enterprise.model_dump()),
        requested_amount=body.requested_amount,
        term_months=body.term_months,
        purpose=body.purpose,
        collateral=collateral,
        attributable_revenue=body.attributable_revenue,
        industry=body.industry,
    )
    async with uow:
        try:
            loan = await handlers.apply_for_loan(command, uow)
        except LoanRuleViolation as exc:
            raise Problem(422, exc.code, "Application refused", exc.message) from exc
    return LoanOut.of(loan)


@router.get("/loans/{loan_id}", response_model=LoanOut)
async def get_loan(loan_id: str, bank: CurrentBank, uow: UowDep) -> LoanOut:
    """Read one of the bank's loans."""
    async with uow:
        try:
            return LoanOut.of(await handlers.get_loan(loan_id, bank, uow))
        except handlers.LoanNotFound as exc:
            raise _not_found(loan_id) from exc


@router.post("/loans/{loan_id}/offer/accept", response_model=LoanOut)
async def accept_offer(loan_id: str, bank: CurrentBank, uow: UowDep) -> LoanOut:
    """Accept the credit offer; the pledge is filed with the registry."""
    async with uow:
        try:
            return LoanOut.of(await handlers.accept_offer(loan_id, bank, uow))
        except handlers.LoanNotFound as exc:
            raise _not_found(loan_id) from exc
        except LoanRuleViolation as exc:
            raise Problem(409, exc.code, "Offer cannot be accepted", exc.message) from exc
