"""Request and response bodies of the valuation API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from services.valuation.domain.records import RegisteredRight, SignOffRecord
from services.valuation.domain.valuation import Valuation
from services.valuation.service_layer.appraisals import PendingPage
from services.valuation.service_layer.reproduction import Reproduction
from shared.envelope import to_primitive
from shared.fields import DecimalText, FieldRefused, Fraction, Line, Message, RequestModel, RightRef
from shared.money import MoneyOut, NonNegativeMoney, ValuationFigure

_GROWTH = DecimalText(r"^(-?0(\.[0-9]{1,6})?|1(\.0{1,6})?)$", "0.08")
Growth = Annotated[Decimal, BeforeValidator(_GROWTH), _GROWTH.schema()]


class ComparableIn(RequestModel):
    price: ValuationFigure = Field(
        description="Price of a comparable transaction for the whole set, yuan"
    )
    similarity: Fraction = Field(description="Similarity to the valued rights, 0 to 1")


class ValuationRequestIn(RequestModel):
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

    rights: list[RightRef] = Field(
        min_length=1,
        max_length=50,
        description="The patents and trademarks to value together, each at most once",
    )
    annual_revenue: ValuationFigure = Field(
        description="Annual revenue attributable to all the listed rights together, yuan"
    )
    revenue_growth: Growth = Field(
        default=Decimal("0"),
        description="Expected yearly growth of that revenue, e.g. 0.08 for 8%; above -1, at most 1",
    )
    industry: Line = Field(
        default="default",
        max_length=64,
        description="Industry whose royalty rates and discount rate apply; default when unknown",
    )
    high_tech: bool = Field(default=False, description="Certified high-tech enterprise")
    comparables: list[ComparableIn] = Field(
        default_factory=list,
        max_length=50,
        description="Comparable transactions for the market approach",
    )
    replacement_cost: ValuationFigure | None = Field(
        default=None, description="Cost to recreate all the listed rights together, yuan"
    )


class DriverOut(BaseModel):
    name: str = Field(description="The factor, e.g. royalty_rate or remaining_life_years")
    value: str = Field(description="The factor's value as used")
    effect: str = Field(description="How the factor moved the valuation")


class RightValueOut(BaseModel):
    number: str = Field(
        description="Patent application number or trademark registration number, in register form"
    )
    right_type: str = Field(description="patent or trademark")
    kind: str = Field(
        description="invention, utility_model or design for a patent; trademark for a trademark"
    )
    low: MoneyOut = Field(description="Low end of the right's value range, yuan")
    central: MoneyOut = Field(description="Central value of the right, yuan")
    high: MoneyOut = Field(description="High end of the right's value range, yuan")
    method: str = Field(
        description="income_royalty_share, relief_from_royalty, market, cost or zero"
    )
    zero_reason: str | None = Field(
        description="Why the right is valued at zero (e.g. lapsed, frozen), when it is"
    )
    quality_score: Decimal | None = Field(
        description="Patent quality score that weighted the value, 0 to 1, when scored"
    )
    recommended_ltv: Decimal = Field(
        description="Recommended loan-to-value ratio for this right, 0 to 1"
    )
    drivers: list[DriverOut] = Field(description="The factors that moved the right's value")


class RangeOut(BaseModel):
    low: MoneyOut = Field(description="Low end of the range, yuan")
    central: MoneyOut = Field(description="Central value, yuan")
    high: MoneyOut = Field(description="High end of the range, yuan")


class SignOffOut(BaseModel):
    outcome: Literal["approved", "adjusted"] = Field(
        description="approved as it stood, or adjusted to the appraiser's range"
    )
    appraiser_id: str = Field(description="Appraiser who signed off")
    reason: str | None = Field(description="The appraiser's reason (required for an adjustment)")
    before: RangeOut = Field(description="The valuation's range before sign-off, yuan")
    after: RangeOut = Field(description="The range after sign-off, yuan")
    recommended_max_loan: MoneyOut = Field(
        description="Recommended maximum loan after sign-off, yuan"
    )
    rights: list[RightValueOut] = Field(description="Per-right values after sign-off")
    signed_off_at: datetime = Field(description="When the appraiser signed off (UTC)")

    @classmethod
    def of(cls, signoff: SignOffRecord) -> SignOffOut:
        """An appraiser's sign-off with the figures before and after."""
        return cls.model_validate(to_primitive(signoff))


class ValuationOut(BaseModel):
    valuation_id: str = Field(description="Identifier of the valuation")
    status: Literal["final", "provisional"] = Field(
        description="provisional: the central value exceeds the sign-off threshold"
    )
    reference: str | None = Field(
        description="Loan application the valuation was made for; empty for an on-demand valuation"
    )
    requested_by: str = Field(description="Bank (or service) that requested the valuation")
    parameter_version: str = Field(
        description="Version of the valuation parameters used, for reproduction"
    )
    as_of: date = Field(description="Date the rights were valued at")
    low: MoneyOut = Field(description="Low end of the value of all the rights together, yuan")
    central: MoneyOut = Field(description="Central value of all the rights together, yuan")
    high: MoneyOut = Field(description="High end of the value of all the rights together, yuan")
    recommended_max_loan: MoneyOut = Field(
        description="Recommended maximum loan against the rights, yuan"
    )
    largest_share: Decimal = Field(
        description="Share of the central value carried by the most valuable right, 0 to 1"
    )
    concentration_note: str | None = Field(
        description="Warning when the value is concentrated in one right"
    )
    rights: list[RightValueOut] = Field(description="Value of each right")
    completed_at: datetime = Field(description="When the valuation was completed (UTC)")
    inputs: dict[str, Any] = Field(
        description="The inputs the valuation was computed from, as stored for reproduction"
    )
    signoff: SignOffOut | None = Field(
        default=None, description="The appraiser's sign-off, once given"
    )

    @classmethod
    def of(cls, valuation: Valuation) -> ValuationOut:
        """The requester's view of a valuation."""
        signoff = to_primitive(valuation.signoff) if valuation.signoff else None
        return cls.model_validate(
            {
                **to_primitive(valuation.completed),
                "inputs": dict(valuation.inputs),
                "signoff": signoff,
            }
        )


class PendingOut(BaseModel):
    items: list[ValuationOut] = Field(
        description="Provisional valuations waiting for sign-off, oldest first"
    )
    next_cursor: str | None = Field(description="pass as `after` for the next page")

    @classmethod
    def of(cls, page: PendingPage) -> PendingOut:
        """One page of valuations waiting for sign-off."""
        return cls(items=[ValuationOut.of(r) for r in page.items], next_cursor=page.next_cursor)


class ApproveIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "inputs checked against the audited accounts"}]}
    )

    reason: Message | None = Field(default=None, max_length=2000, description="Optional note")


class AdjustIn(RequestModel):
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

    low: NonNegativeMoney = Field(description="Low end of the appraiser's range, yuan to the fen")
    central: NonNegativeMoney = Field(description="The appraiser's central value, yuan to the fen")
    high: NonNegativeMoney = Field(description="High end of the appraiser's range, yuan to the fen")
    reason: Message = Field(max_length=2000, description="Why the appraiser adjusts the range")

    @model_validator(mode="after")
    def _ordered(self) -> AdjustIn:
        if not self.low <= self.central <= self.high:
            raise FieldRefused("range.unordered", "need low <= central <= high")
        return self


class DifferenceOut(BaseModel):
    figure: str = Field(description="Which figure differs, e.g. central or rights[0].low")
    recorded: Any = Field(description="The figure as recorded")
    reproduced: Any = Field(description="The figure as computed again")


class ReproductionOut(BaseModel):
    valuation_id: str = Field(description="Identifier of the valuation reproduced")
    parameter_version: str = Field(description="Parameter version the valuation was run with again")
    as_of: date = Field(description="Date the rights were valued at")
    matches: bool = Field(description="Whether every figure came out the same")
    differences: list[DifferenceOut] = Field(description="The figures that came out differently")

    @classmethod
    def of(cls, result: Reproduction) -> ReproductionOut:
        """Whether every figure came out the same, and which did not."""
        return cls.model_validate(to_primitive(result))


class RightOut(BaseModel):
    number: str = Field(
        description="Patent application number or trademark registration number, in register form"
    )
    right_type: str = Field(description="patent or trademark")
    kind: str = Field(
        description="invention, utility_model or design for a patent; trademark for a trademark"
    )
    filing_date: date | None = Field(description="Date the patent application was filed")
    grant_date: date | None = Field(description="Date the patent was granted")
    expiry_date: date = Field(description="Date the right's protection ends")
    legal_status: str = Field(description="Legal status on the register")
    frozen: bool = Field(description="Whether a court has frozen the right")
    invalidation_pending: bool = Field(
        description="Whether an invalidation request against the patent is pending"
    )
    main_ipc: str | None = Field(
        description="Main International Patent Classification symbol, for a patent"
    )
    nice_class: int | None = Field(description="Nice classification class, for a trademark")
    holder_usccs: list[str] = Field(
        description="Unified Social Credit Codes of the right's holders"
    )
    source_event_version: int = Field(
        description="Version of the latest registry event applied to this right"
    )
    updated_at: datetime = Field(
        description="When the right was last updated from the registry's events (UTC)"
    )

    @classmethod
    def of(cls, right: RegisteredRight) -> RightOut:
        """The read-model row of a right."""
        return cls.model_validate(to_primitive(right))
