"""Bodies of the pledge endpoints: change and cancellation filings, a pledge's current terms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.registry.domain.amendments import CHANGEABLE, CancellationReason, PledgeChange
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from services.registry.entrypoints.schemas import PartyIn, PartyOut
from shared.fields import Day, FieldRefused, RequestModel
from shared.money import Money, MoneyOut


class PledgeChangeIn(RequestModel):
    """A change registration: the terms to replace (at least one)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"secured_amount": "1200000.00", "performance_deadline": "2028-05-20"}]
        }
    )

    secured_amount: Money | None = Field(
        default=None,
        description="New amount of the secured principal debt, in yuan to the fen",
    )
    performance_deadline: Day | None = Field(
        default=None, description="New date by which the debtor must perform the secured debt"
    )
    pledgor: PartyIn | None = Field(
        default=None, description="The pledgor as it now is, e.g. after a change of name or address"
    )
    pledgee: PartyIn | None = Field(
        default=None, description="The pledgee as it now is, e.g. after the claim was assigned"
    )

    @model_validator(mode="after")
    def _names_a_change(self) -> PledgeChangeIn:
        if all(getattr(self, name) is None for name in CHANGEABLE):
            raise FieldRefused("change.nothing_named", "name at least one term to change")
        return self

    def to_domain(self) -> PledgeChange:
        return PledgeChange(
            secured_amount=self.secured_amount,
            performance_deadline=self.performance_deadline,
            pledgor=self.pledgor.to_domain() if self.pledgor else None,
            pledgee=self.pledgee.to_domain() if self.pledgee else None,
        )


class CancellationIn(RequestModel):
    """A cancellation registration and its ground."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "debt_repaid"}]})

    reason: Literal["debt_repaid", "pledge_enforced", "pledgee_waived", "contract_void"] = Field(
        description="Ground: debt repaid, pledge enforced, pledgee waived or contract void"
    )

    def to_domain(self) -> CancellationReason:
        return CancellationReason(self.reason)


class AmendmentOut(BaseModel):
    kind: str = Field(description="change or cancellation")
    at: datetime = Field(description="When the change or cancellation was registered (UTC)")
    changed: list[str] = Field(
        description="Terms changed: secured_amount, performance_deadline, pledgor or pledgee"
    )
    reason: str | None = Field(description="Ground of a cancellation")


class PledgeOut(BaseModel):
    registration_number: str = Field(description="Pledge registration number")
    status: Literal["active", "cancelled"] = Field(
        description="active, or cancelled (the rights are free again)"
    )
    filing_id: str = Field(description="Filing the pledge was registered on")
    filing_reference: str | None = Field(
        description="Reference the filing was submitted under on another channel, if any"
    )
    pledgor: PartyOut = Field(
        description="The right holder who pledged the rights, as currently registered"
    )
    pledgee: PartyOut = Field(
        description="The creditor holding the pledge, as currently registered"
    )
    debt_type: str = Field(description="Kind of principal debt secured, e.g. loan")
    secured_amount: MoneyOut = Field(
        description="Current amount of the secured principal debt, in yuan to the fen"
    )
    performance_deadline: date = Field(
        description="Current date by which the debtor must perform the secured debt"
    )
    patents: list[str] = Field(description="Patent application numbers pledged, in register form")
    trademarks: list[str] = Field(description="Trademark registration numbers pledged")
    registered_at: datetime = Field(description="When the pledge was registered (UTC)")
    cancelled_at: datetime | None = Field(description="When the cancellation was registered")
    cancellation_reason: str | None = Field(description="Ground of the cancellation")
    amendments: list[AmendmentOut] = Field(
        description="Changes and cancellation registered since, oldest first"
    )

    @classmethod
    def of(cls, filing: PledgeFiling) -> PledgeOut:
        assert filing.registration_number is not None and filing.decided_at is not None
        data = filing.data
        return cls(
            registration_number=filing.registration_number,
            status="cancelled" if filing.status is FilingStatus.CANCELLED else "active",
            filing_id=filing.filing_id,
            filing_reference=filing.filing_reference,
            pledgor=PartyOut.of(data.pledgor),
            pledgee=PartyOut.of(data.pledgee),
            debt_type=data.debt_type,
            secured_amount=data.secured_amount,
            performance_deadline=data.performance_deadline,
            patents=list(data.patents),
            trademarks=list(data.trademarks),
            registered_at=filing.decided_at,
            cancelled_at=filing.cancelled_at,
            cancellation_reason=filing.cancellation_reason,
            amendments=[
                AmendmentOut(kind=a.kind, at=a.at, changed=list(a.changed), reason=a.reason)
                for a in filing.amendments
            ],
        )


class PledgeOnRecordOut(PledgeOut):
    channel: str = Field(
        description="How the filing came in: credit (for a loan, whose id is the filing "
        "reference), or a bank's own filing"
    )

    @classmethod
    def on_record(cls, filing: PledgeFiling) -> PledgeOnRecordOut:
        return cls(**PledgeOut.of(filing).model_dump(), channel=filing.channel)


class PledgeBookPageOut(BaseModel):
    """A page of the pledges registered to one pledgee."""

    items: list[PledgeOnRecordOut] = Field(description="Pledges, by registration number")
    next_after: str | None = Field(
        description="Registration number to pass as `after` for the next page; null at the end"
    )
