"""Bodies of the examiner's desk."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from services.registry.domain.checks import REFUSAL_GROUNDS, WARNABLE_CODES
from services.registry.domain.corrections import CorrectableField
from services.registry.domain.decisions import Reason
from services.registry.domain.pledge import PledgeFiling
from services.registry.entrypoints.schemas import (
    FindingOut,
    PartyOut,
    contract_out,
    findings_out,
)
from shared.fields import Line, Message, RequestModel

REASON_CODE = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
GROUNDS: list[JsonValue] = [*sorted(REFUSAL_GROUNDS)]
WARNINGS: list[JsonValue] = [*sorted(str(code) for code in WARNABLE_CODES)]
CorrectableName = Literal[
    "debt_type",
    "secured_amount",
    "performance_deadline",
    "scope_of_guarantee",
    "pledgor.address",
    "pledgee.address",
    "co_owner_consents",
    "acknowledgements",
]


class ReasonIn(RequestModel):
    code: str = Field(
        max_length=64,
        pattern=REASON_CODE,
        examples=["contract.incomplete"],
        json_schema_extra={"enum": GROUNDS},
        description="Code of the statutory ground the refusal rests on (the codes the registry's "
        "checks report), or other with the explanation in message; any other code is refused "
        "with refusal.unknown_ground",
    )
    message: Message = Field(
        max_length=1000,
        description="The examiner's explanation to the parties; for other, the whole ground",
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
            "examples": [
                {
                    "fields": ["co_owner_consents"],
                    "message": "Attach the co-owner's written consent to the pledge",
                }
            ]
        }
    )

    fields: list[CorrectableName] = Field(
        min_length=1,
        max_length=len(CorrectableField),
        description="The terms the parties may correct; the parties' names and USCCs and the "
        "pledged rights are never correctable, and on a filing credit sent for a loan neither "
        "are the secured amount and the performance deadline (correction.conflicts_with_loan)",
    )
    message: Message = Field(
        max_length=2000,
        description="What the pledgor and pledgee must correct or supply",
    )


class AcknowledgementIn(RequestModel):
    """Warnings the parties confirmed they proceed despite, and how they confirmed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "codes": ["patent.invalidation_pending"],
                    "note": "Both parties confirmed in writing on 2026-03-02 that they proceed "
                    "knowing of the pending invalidation request",
                }
            ]
        }
    )

    codes: list[str] = Field(
        min_length=1,
        max_length=len(WARNABLE_CODES),
        json_schema_extra={"items": {"type": "string", "enum": WARNINGS}},
        description="Codes of warnings found on the filing that the parties confirmed",
    )
    note: Message = Field(
        max_length=2000,
        description="How and when the parties confirmed (letter, signed statement, call)",
    )


class ReassignmentIn(RequestModel):
    """Whom a supervisor gives a claimed filing to."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"examiner": "examiner-zhao"}]})

    examiner: Line = Field(
        max_length=64, description="Identifier of the examiner who is to hold the filing"
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
    correlation_id: str | None = Field(description="The case the filing belongs to")
    pledgor: PartyOut = Field(description="The right holder pledging the rights")
    pledgee: PartyOut = Field(description="The creditor taking the pledge")
    debt_type: str = Field(description="Kind of principal debt secured, e.g. loan")
    secured_amount: Decimal = Field(description="Secured principal debt, in yuan to the fen")
    performance_deadline: date = Field(description="When the debtor must perform the debt")
    scope_of_guarantee: str = Field(description="What the pledge secures")
    patents: list[str] = Field(description="Patent application numbers pledged, in register form")
    trademarks: list[str] = Field(description="Trademark registration numbers pledged")
    co_owner_consents: list[str] = Field(description="USCCs of consenting co-owners")
    acknowledgements: list[str] = Field(description="Warning codes the parties confirmed")
    same_day_invention_utility: list[str] = Field(
        description="Pledged patents the parties declared to be one of a same-day pair"
    )
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
            correlation_id=filing.correlation_id,
            **contract_out(filing.data),
            findings=findings_out(filing.findings),
        )


class QueueOut(BaseModel):
    total: int = Field(description="Number of filings in examination")
    limit: int = Field(description="Page size asked for")
    offset: int = Field(description="Filings skipped before this page")
    items: list[QueueItemOut] = Field(
        description="This page's filings, the earliest deadline first"
    )
