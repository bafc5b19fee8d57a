"""Bodies of the pledge endpoints: change and cancellation filings, a pledge's current terms."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from services.registry.domain.amendments import CHANGEABLE, CancellationReason, PledgeChange
from services.registry.domain.pledge import FilingStatus, PledgeFiling
from services.registry.entrypoints.schemas import PartyIn, PartyOut


class PledgeChangeIn(BaseModel):
    """A change registration: the terms to replace (at least one)."""

    secured_amount: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=2)
    performance_deadline: date | None = None
    pledgor: PartyIn | None = None
    pledgee: PartyIn | None = None

    @model_validator(mode="after")
    def _names_a_change(self) -> PledgeChangeIn:
        if all(getattr(self, name) is None for name in CHANGEABLE):
            raise ValueError("name at least one term to change")
        return self

    def to_domain(self) -> PledgeChange:
        return PledgeChange(
            secured_amount=self.secured_amount,
            performance_deadline=self.performance_deadline,
            pledgor=self.pledgor.to_domain() if self.pledgor else None,
            pledgee=self.pledgee.to_domain() if self.pledgee else None,
        )


class CancellationIn(BaseModel):
    """A cancellation registration and its ground."""

    reason: Literal["debt_repaid", "pledge_enforced", "pledgee_waived", "contract_void"]

    def to_domain(self) -> CancellationReason:
        return CancellationReason(self.reason)


class AmendmentOut(BaseModel):
    kind: str
    at: datetime
    changed: list[str]
    reason: str | None


class PledgeOut(BaseModel):
    registration_number: str
    status: Literal["active", "cancelled"]
    filing_id: str
    filing_reference: str | None
    pledgor: PartyOut
    pledgee: PartyOut
    debt_type: str
    secured_amount: Decimal
    performance_deadline: date
    patents: list[str]
    trademarks: list[str]
    registered_at: datetime
    cancelled_at: datetime | None
    cancellation_reason: str | None
    amendments: list[AmendmentOut]

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
