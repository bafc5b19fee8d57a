"""Events valuation reacts to: the register's rights and credit's loans."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from services.valuation.service_layer import handlers, revaluation
from services.valuation.service_layer.handlers import CREDIT, ValuationPolicy
from services.valuation.service_layer.records import RegisteredRight
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from shared.consumer import Handler, PermanentError, parse_payload
from shared.envelope import Envelope
from shared.fields import Line
from shared.money import VALUATION_INPUT_DIGITS
from shared.runtime import ConsumerSpec
from shared.uow import UnitOfWork

MAX_REVENUE = Decimal(10) ** VALUATION_INPUT_DIGITS - Decimal("0.01")
RIGHTS_TOPIC = "pledgeflow.registry.rights"
LOANS_TOPIC = "pledgeflow.credit.loans"

PATENT_STATUSES = {
    "valid": "valid",
    "terminated": "lapsed",
    "expired": "expired",
    "invalid": "invalid",
    "pending": "pending",
}
TRADEMARK_STATUSES = {
    "registered": "valid",
    "revoked": "revoked",
    "cancelled": "revoked",
    "expired": "expired",
}


def _patent_number(value: str) -> str:
    return handlers.canonical_number("patent", value)


def _trademark_number(value: str) -> str:
    return handlers.canonical_number("trademark", value)


class _Holder(BaseModel):
    name: str
    uscc: str


class _PatentRecorded(BaseModel):
    number: Annotated[str, AfterValidator(_patent_number)]
    kind: Literal["invention", "utility_model", "design"]
    holders: list[_Holder] = Field(min_length=1)
    filing_date: date
    grant_date: date | None
    term_end: date
    legal_status: Literal["valid", "terminated", "expired", "invalid", "pending"]
    frozen: bool
    invalidation_pending: bool
    main_ipc: str = ""


class _TrademarkRecorded(BaseModel):
    number: Annotated[str, AfterValidator(_trademark_number)]
    nice_class: int = Field(ge=1, le=45)
    owner: _Holder
    valid_until: date
    status: Literal["registered", "revoked", "cancelled", "expired"]
    frozen: bool


class _Collateral(BaseModel):
    right_type: Literal["patent", "trademark"]
    number: str

    @model_validator(mode="after")
    def _canonical(self) -> Self:
        self.number = handlers.canonical_number(self.right_type, self.number)
        return self


class _Enterprise(BaseModel):
    high_tech: bool = False


class _ApplicationSubmitted(BaseModel):
    loan_id: str = Field(min_length=1, max_length=64)
    enterprise: _Enterprise
    collateral: list[_Collateral] = Field(min_length=1)
    attributable_revenue: Decimal = Field(ge=0, le=MAX_REVENUE)
    industry: Line = Field(default="default", max_length=64)


def _patent(body: _PatentRecorded, version: int) -> RegisteredRight:
    return RegisteredRight(
        number=body.number,
        right_type="patent",
        kind=body.kind,
        filing_date=body.filing_date,
        grant_date=body.grant_date,
        expiry_date=body.term_end,
        legal_status=PATENT_STATUSES[body.legal_status],
        frozen=body.frozen,
        invalidation_pending=body.invalidation_pending,
        main_ipc=body.main_ipc or None,
        nice_class=None,
        holder_usccs=tuple(holder.uscc for holder in body.holders),
        source_event_version=version,
        updated_at=datetime.now(UTC),
    )


def _trademark(body: _TrademarkRecorded, version: int) -> RegisteredRight:
    return RegisteredRight(
        number=body.number,
        right_type="trademark",
        kind="trademark",
        filing_date=None,
        grant_date=None,
        expiry_date=body.valid_until,
        legal_status=TRADEMARK_STATUSES[body.status],
        frozen=body.frozen,
        invalidation_pending=False,
        main_ipc=None,
        nice_class=body.nice_class,
        holder_usccs=(body.owner.uscc,),
        source_event_version=version,
        updated_at=datetime.now(UTC),
    )


class _LoanEvent(BaseModel):
    loan_id: str = Field(min_length=1, max_length=64)


def _command(body: _ApplicationSubmitted, policy: ValuationPolicy) -> handlers.ValueCollateral:
    return handlers.ValueCollateral(
        reference=body.loan_id,
        requested_by=CREDIT,
        rights=tuple(handlers.RightRef(c.right_type, c.number) for c in body.collateral),
        annual_revenue=body.attributable_revenue,
        industry=body.industry,
        high_tech=body.enterprise.high_tech,
        policy=policy,
    )


def _rights_handlers(policy: ValuationPolicy) -> dict[str, Handler]:
    async def record(right: RegisteredRight, uow: ValuationUnitOfWork) -> None:
        if await handlers.record_right(right, uow):
            await revaluation.review_pledged_right(right.number, policy, uow)

    async def on_patent(envelope: Envelope, uow: UnitOfWork) -> None:
        """Record a patent as the registry describes it; revalue loans it backs if it weakened."""
        assert isinstance(uow, ValuationUnitOfWork)
        body = parse_payload(_PatentRecorded, envelope)
        await record(_patent(body, envelope.aggregate_version), uow)

    async def on_trademark(envelope: Envelope, uow: UnitOfWork) -> None:
        """Record a trademark as the registry describes it; revalue loans it backs if weakened."""
        assert isinstance(uow, ValuationUnitOfWork)
        body = parse_payload(_TrademarkRecorded, envelope)
        await record(_trademark(body, envelope.aggregate_version), uow)

    return {"registry.patent.recorded": on_patent, "registry.trademark.recorded": on_trademark}


def _loan_handlers(policy: ValuationPolicy) -> dict[str, Handler]:
    async def on_application(envelope: Envelope, uow: UnitOfWork) -> None:
        """Value the collateral of a loan application."""
        assert isinstance(uow, ValuationUnitOfWork)
        body = parse_payload(_ApplicationSubmitted, envelope)
        await handlers.value_collateral(_command(body, policy), uow)

    async def on_disbursed(envelope: Envelope, uow: UnitOfWork) -> None:
        """Follow the rights pledged for a disbursed loan."""
        assert isinstance(uow, ValuationUnitOfWork)
        body = parse_payload(_LoanEvent, envelope)
        try:
            await revaluation.pledge_collateral(body.loan_id, uow)
        except revaluation.LoanNotValued as exc:
            raise PermanentError("loan.not_valued", f"no valuation for loan {exc}") from exc

    async def on_released(envelope: Envelope, uow: UnitOfWork) -> None:
        """Stop following the rights of a loan whose pledge is released or which is repaid."""
        assert isinstance(uow, ValuationUnitOfWork)
        body = parse_payload(_LoanEvent, envelope)
        await revaluation.release_collateral(body.loan_id, uow)

    return {
        "credit.application.submitted": on_application,
        "credit.loan.disbursed": on_disbursed,
        "credit.pledge_release.requested": on_released,
        "credit.loan.repaid": on_released,
    }


def valuation_consumers(policy: ValuationPolicy) -> list[ConsumerSpec]:
    """The consumer groups of the valuation service."""
    return [
        ConsumerSpec(
            name="valuation.rights", topics=(RIGHTS_TOPIC,), handlers=_rights_handlers(policy)
        ),
        ConsumerSpec(
            name="valuation.applications", topics=(LOANS_TOPIC,), handlers=_loan_handlers(policy)
        ),
    ]
