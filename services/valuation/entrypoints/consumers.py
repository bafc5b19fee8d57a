"""Events valuation reacts to: the register's rights and credit's loan applications."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from services.valuation.domain import ParameterSet
from services.valuation.service_layer import handlers
from services.valuation.service_layer.records import RegisteredRight
from services.valuation.service_layer.unit_of_work import ValuationUnitOfWork
from shared.consumer import parse_payload
from shared.envelope import Envelope
from shared.runtime import ConsumerSpec
from shared.uow import UnitOfWork

RIGHTS_TOPIC = "pledgeflow.registry.rights"
LOANS_TOPIC = "pledgeflow.credit.loans"
CREDIT = "credit"

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
    attributable_revenue: Decimal = Field(ge=0)
    industry: str = Field(default="default", max_length=64)


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


async def on_patent(envelope: Envelope, uow: UnitOfWork) -> None:
    """Record a patent as the registry describes it."""
    assert isinstance(uow, ValuationUnitOfWork)
    body = parse_payload(_PatentRecorded, envelope)
    await handlers.record_right(_patent(body, envelope.aggregate_version), uow)


async def on_trademark(envelope: Envelope, uow: UnitOfWork) -> None:
    """Record a trademark as the registry describes it."""
    assert isinstance(uow, ValuationUnitOfWork)
    body = parse_payload(_TrademarkRecorded, envelope)
    await handlers.record_right(_trademark(body, envelope.aggregate_version), uow)


def valuation_consumers(parameters: ParameterSet) -> list[ConsumerSpec]:
    """The consumer groups of the valuation service."""

    async def on_application(envelope: Envelope, uow: UnitOfWork) -> None:
        assert isinstance(uow, ValuationUnitOfWork)
        body = parse_payload(_ApplicationSubmitted, envelope)
        command = handlers.ValueCollateral(
            reference=body.loan_id,
            requested_by=CREDIT,
            rights=tuple(handlers.RightRef(c.right_type, c.number) for c in body.collateral),
            annual_revenue=body.attributable_revenue,
            industry=body.industry,
            high_tech=body.enterprise.high_tech,
            parameters=parameters,
        )
        await handlers.value_collateral(command, uow)

    return [
        ConsumerSpec(
            name="valuation.rights",
            topics=(RIGHTS_TOPIC,),
            handlers={
                "registry.patent.recorded": on_patent,
                "registry.trademark.recorded": on_trademark,
            },
        ),
        ConsumerSpec(
            name="valuation.applications",
            topics=(LOANS_TOPIC,),
            handlers={"credit.application.submitted": on_application},
        ),
    ]
