"""Request and response bodies of the valuation API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.valuation.service_layer.records import RegisteredRight, ValuationRecord
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


class ValuationOut(BaseModel):
    valuation_id: str
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

    @classmethod
    def of(cls, record: ValuationRecord) -> ValuationOut:
        """The requester's view of a valuation."""
        return cls.model_validate({**to_primitive(record.valuation), "inputs": record.inputs})


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
