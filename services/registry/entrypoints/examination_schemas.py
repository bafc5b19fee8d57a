"""Bodies of the examiner's desk."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.registry.domain.decisions import Reason
from services.registry.domain.pledge import PledgeFiling
from services.registry.entrypoints.schemas import FindingOut, PartyOut, findings_out
from shared.fields import Message, RequestModel

REASON_CODE = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"


class ReasonIn(RequestModel):
    code: str = Field(
        max_length=64,
        pattern=REASON_CODE,
        examples=["contract.incomplete"],
        description="Stable code of the refusal ground, lower-case and dotted",
    )
    message: Message = Field(
        max_length=1000, description="The examiner's explanation to the parties"
    )

    def to_domain(self) -> Reason:
        return Reason(self.code, self.message)


class RefusalIn(RequestModel):
    """Why the examiner refuses the filing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reasons": [
                        {
                            "code": "contract.incomplete",
                            "message": "The pledge contract does not state the secured amount",
                        }
                    ]
                }
            ]
        }
    )

    reasons: list[ReasonIn] = Field(
        min_length=1, max_length=50, description="Coded grounds of the refusal, at least one"
    )


class CorrectionRequestIn(RequestModel):
    """What the parties must correct."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"message": "Attach the co-owner's written consent to the pledge"}]
        }
    )

    message: Message = Field(
        max_length=2000,
        description="What the pledgor and pledgee must correct or supply",
    )


class QueueItemOut(BaseModel):
    filing_id: str = Field(description="Identifier of the filing")
    filing_reference: str | None = Field(
        description="Reference the filing was submitted under on another channel, if any"
    )
    channel: str = Field(description="How the filing arrived, e.g. api for a bank's filing")
    received_at: datetime = Field(description="When the registry received the filing (UTC)")
    corrected_at: datetime | None = Field(
        description="When the latest correction arrived; the deadline restarts from it"
    )
    deadline_at: datetime = Field(
        description="When examination must be decided, counted in official working days"
    )
    deadline_provisional: bool = Field(
        description="Whether the deadline falls in a year whose official schedule is not entered"
    )
    overdue: bool = Field(description="Whether the deadline has passed")
    sla_breached_at: datetime | None = Field(
        description="When the examination deadline passed without a decision, if it did"
    )
    claimed_by: str | None = Field(
        description="Examiner who has the filing in examination; empty if unclaimed"
    )
    pledgor: PartyOut = Field(description="The right holder pledging the rights")
    pledgee: PartyOut = Field(description="The creditor taking the pledge")
    patents: list[str] = Field(description="Patent application numbers pledged, in register form")
    trademarks: list[str] = Field(description="Trademark registration numbers pledged")
    findings: list[FindingOut] = Field(
        description="What the registry's checks found on the pledged rights and parties"
    )

    @classmethod
    def of(cls, filing: PledgeFiling, now: datetime) -> QueueItemOut:
        return cls(
            filing_id=filing.filing_id,
            filing_reference=filing.filing_reference,
            channel=filing.channel,
            received_at=filing.received_at,
            corrected_at=filing.corrected_at,
            deadline_at=filing.deadline_at,
            deadline_provisional=filing.deadline_provisional,
            overdue=filing.overdue(now),
            sla_breached_at=filing.sla_breached_at,
            claimed_by=filing.claimed_by,
            pledgor=PartyOut.of(filing.data.pledgor),
            pledgee=PartyOut.of(filing.data.pledgee),
            patents=list(filing.data.patents),
            trademarks=list(filing.data.trademarks),
            findings=findings_out(filing.findings),
        )


class QueueOut(BaseModel):
    total: int = Field(description="Number of filings in examination")
    limit: int = Field(description="Page size asked for")
    offset: int = Field(description="Filings skipped before this page")
    items: list[QueueItemOut] = Field(
        description="This page's filings, the earliest deadline first"
    )
