"""Request and response bodies of the valuation API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.valuation.service_layer.appraisals import PendingPage
from services.valuation.service_layer.records import (
    RegisteredRight,
    SignOffRecord,
    ValuationRecord,
)
from services.valuation.service_layer.reproduction import Reproduction
from shared.envelope import to_primitive

Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]


class RightIn(BaseModel):
    right_type: Literal["patent", "trademark"]
    number: str = Field(
        min_length=1,
        max_length=40,
        description="Patent application number or trademark registration number",
    )


class ComparableIn(BaseModel):
    price: Amount = Field(description="Price of a comparable transaction for the whole set, yuan")
    similarity: Decimal = Field(ge=0, le=1, description="Similarity to the valued rights, 0..1")


class ValuationRequestIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rights": [{"right_type": "patent", "number": "CN201710601862.3"}],
                    "annual_revenue": "8000000.00",
                    "industry": "electronics",
                    "high_tech": True,
                    "comparables": [{"price": "1500000.00", "similarity": "0.6"}],
                    "replacement_cost": "400000.00",
                }
            ]
        }
    )

    rights: list[RightIn] = Field(min_length=1, max_length=50)
    annual_revenue: Amount = Field(
        description="Annual revenue attributable to all the listed rights together, yuan"
    )
    revenue_growth: Decimal = Field(default=Decimal("0"), gt=-1, le=1)
    industry: str = Field(default="default", min_length=1, max_length=64)
    high_tech: bool = Field(default=False, description="Certified high-tech enterprise")
    comparables: list[ComparableIn] = Field(default_factory=list, max_length=50)
    replacement_cost: Amount | None = Field(
        default=None, description="Cost to recreate all the listed rights together, yuan"
    )


class DriverOut(BaseModel):
    name: str
    value: str
    effect: str


class RightValueOut(BaseModel):
    number: str
    right_type: str
    kind: str
    low: Decimal
    central: Decimal
    high: Decimal
    method: str
    zero_reason: str | None
    quality_score: Decimal | None
    recommended_ltv: Decimal
    drivers: list[DriverOut]


class RangeOut(BaseModel):
    low: Decimal
    central: Decimal
    high: Decimal


class SignOffOut(BaseModel):
    outcome: Literal["approved", "adjusted"]
    appraiser_id: str
    reason: str | None
    before: RangeOut
    after: RangeOut
    recommended_max_loan: Decimal
    rights: list[RightValueOut]
    signed_off_at: datetime

    @classmethod
    def of(cls, signoff: SignOffRecord) -> SignOffOut:
        """An appraiser's sign-off with the figures before and after."""
        return cls.model_validate(to_primitive(signoff))


class ValuationOut(BaseModel):
    valuation_id: str
    status: Literal["final", "provisional"] = Field(
        description="provisional: the central value exceeds the sign-off threshold"
    )
    reference: str | None
    requested_by: str
    parameter_version: str
    as_of: date
    low: Decimal
    central: Decimal
    high: Decimal
    recommended_max_loan: Decimal
    largest_share: Decimal
    concentration_note: str | None
    rights: list[RightValueOut]
    completed_at: datetime
    inputs: dict[str, Any]
    signoff: SignOffOut | None = None

    @classmethod
    def of(cls, record: ValuationRecord) -> ValuationOut:
        """The requester's view of a valuation."""
        signoff = to_primitive(record.signoff) if record.signoff else None
        return cls.model_validate(
            {**to_primitive(record.valuation), "inputs": record.inputs, "signoff": signoff}
        )


class PendingOut(BaseModel):
    items: list[ValuationOut]
    next_cursor: str | None = Field(description="pass as `after` for the next page")

    @classmethod
    def of(cls, page: PendingPage) -> PendingOut:
        """One page of valuations waiting for sign-off."""
        return cls(items=[ValuationOut.of(r) for r in page.items], next_cursor=page.next_cursor)


class ApproveIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000, description="Optional note")


class AdjustIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "low": "4200000.00",
                    "central": "4800000.00",
                    "high": "5300000.00",
                    "reason": "licence income overstated; comparable deal at 4.8m",
                }
            ]
        }
    )

    low: Amount
    central: Amount
    high: Amount
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")

    @model_validator(mode="after")
    def _ordered(self) -> AdjustIn:
        if not self.low <= self.central <= self.high:
            raise ValueError("need low <= central <= high")
        return self


class DifferenceOut(BaseModel):
    figure: str
    recorded: Any
    reproduced: Any


class ReproductionOut(BaseModel):
    valuation_id: str
    parameter_version: str
    as_of: date
    matches: bool
    differences: list[DifferenceOut]

    @classmethod
    def of(cls, result: Reproduction) -> ReproductionOut:
        """Whether every figure came out the same, and which did not."""
        return cls.model_validate(to_primitive(result))


class RightOut(BaseModel):
    number: str
    right_type: str
    kind: str
    filing_date: date | None
    grant_date: date | None
    expiry_date: date
    legal_status: str
    frozen: bool
    invalidation_pending: bool
    main_ipc: str | None
    nice_class: int | None
    holder_usccs: list[str]
    source_event_version: int
    updated_at: datetime

    @classmethod
    def of(cls, right: RegisteredRight) -> RightOut:
        """The read-model row of a right."""
        return cls.model_validate(to_primitive(right))
