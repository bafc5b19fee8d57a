"""Events valuation reacts to (the register's rights, credit's loans), each turned into a
command for valuation's message bus."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from services.valuation.domain.records import PATENT, TRADEMARK, RightRef, canonical_number
from services.valuation.service_layer import commands as c
from shared.consumer import Reaction, parse_payload
from shared.envelope import Envelope
from shared.fields import Line
from shared.ledger_heads import ledger_consumer
from shared.money import VALUATION_INPUT_DIGITS
from shared.runtime import ConsumerSpec
from shared.topics import CREDIT_LOANS, REGISTRY_RIGHTS

MAX_REVENUE = Decimal(10) ** VALUATION_INPUT_DIGITS - Decimal("0.01")

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
    return canonical_number(PATENT, value)


def _trademark_number(value: str) -> str:
    return canonical_number(TRADEMARK, value)


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
        self.number = canonical_number(self.right_type, self.number)
        return self


class _Enterprise(BaseModel):
    high_tech: bool = False


class _ApplicationSubmitted(BaseModel):
    loan_id: str = Field(min_length=1, max_length=64)
    enterprise: _Enterprise
    collateral: list[_Collateral] = Field(min_length=1)
    attributable_revenue: Decimal = Field(ge=0, le=MAX_REVENUE)
    industry: Line = Field(default="default", max_length=64)


class _LoanEvent(BaseModel):
    loan_id: str = Field(min_length=1, max_length=64)


def patent_recorded(envelope: Envelope) -> c.RecordRight:
    """Record a patent as the registry describes it; revalue loans it backs if it weakened."""
    body = parse_payload(_PatentRecorded, envelope)
    return c.RecordRight(
        number=body.number,
        right_type=PATENT,
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
        source_event_version=envelope.aggregate_version,
    )


def trademark_recorded(envelope: Envelope) -> c.RecordRight:
    """Record a trademark as the registry describes it; revalue loans it backs if weakened."""
    body = parse_payload(_TrademarkRecorded, envelope)
    return c.RecordRight(
        number=body.number,
        right_type=TRADEMARK,
        kind=TRADEMARK,
        filing_date=None,
        grant_date=None,
        expiry_date=body.valid_until,
        legal_status=TRADEMARK_STATUSES[body.status],
        frozen=body.frozen,
        invalidation_pending=False,
        main_ipc=None,
        nice_class=body.nice_class,
        holder_usccs=(body.owner.uscc,),
        source_event_version=envelope.aggregate_version,
    )


def application_submitted(envelope: Envelope) -> c.ValueApplication:
    """Value the collateral of a loan application from the register read model."""
    body = parse_payload(_ApplicationSubmitted, envelope)
    return c.ValueApplication(
        loan_id=body.loan_id,
        rights=tuple(RightRef(r.right_type, r.number) for r in body.collateral),
        figures=c.BankFigures(
            annual_revenue=body.attributable_revenue,
            industry=body.industry,
            high_tech=body.enterprise.high_tech,
        ),
    )


def loan_disbursed(envelope: Envelope) -> c.FollowCollateral:
    """Follow the rights pledged for a disbursed loan."""
    return c.FollowCollateral(parse_payload(_LoanEvent, envelope).loan_id)


def pledge_released(envelope: Envelope) -> c.ReleaseCollateral:
    """Stop following the rights of a loan whose pledge is released or which is repaid."""
    return c.ReleaseCollateral(parse_payload(_LoanEvent, envelope).loan_id)


VALUATION_CONSUMERS = (
    ConsumerSpec(
        name="valuation.rights",
        topics=(REGISTRY_RIGHTS,),
        reactions={
            "registry.patent.recorded": Reaction(patent_recorded, payload=_PatentRecorded),
            "registry.trademark.recorded": Reaction(trademark_recorded, payload=_TrademarkRecorded),
        },
    ),
    ConsumerSpec(
        name="valuation.applications",
        topics=(CREDIT_LOANS,),
        reactions={
            "credit.application.submitted": Reaction(
                application_submitted, payload=_ApplicationSubmitted
            ),
            "credit.loan.disbursed": Reaction(loan_disbursed, payload=_LoanEvent),
            "credit.pledge_release.requested": Reaction(pledge_released, payload=_LoanEvent),
            "credit.loan.repaid": Reaction(pledge_released, payload=_LoanEvent),
        },
    ),
    ledger_consumer("valuation"),
)
