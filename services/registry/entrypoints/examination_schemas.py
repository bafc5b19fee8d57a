"""Bodies of the examiner's desk."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.registry.domain.decisions import Reason
from services.registry.domain.pledge import PledgeFiling
from services.registry.entrypoints.schemas import FindingOut, PartyOut, findings_out

REASON_CODE = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"


class ReasonIn(BaseModel):
    code: str = Field(max_length=64, pattern=REASON_CODE, examples=["contract.incomplete"])
    message: str = Field(min_length=1, max_length=1000)

    def to_domain(self) -> Reason:
        return Reason(self.code, self.message)


class RefusalIn(BaseModel):
    """Why the examiner refuses the filing."""

    reasons: list[ReasonIn] = Field(min_length=1, max_length=50)


class CorrectionRequestIn(BaseModel):
    """What the parties must correct."""

    message: str = Field(min_length=1, max_length=2000)


class QueueItemOut(BaseModel):
    filing_id: str
    filing_reference: str | None
    channel: str
    received_at: datetime
    corrected_at: datetime | None
    deadline_at: datetime
    deadline_provisional: bool
    overdue: bool
    sla_breached_at: datetime | None
    claimed_by: str | None
    pledgor: PartyOut
    pledgee: PartyOut
    patents: list[str]
    trademarks: list[str]
    findings: list[FindingOut]

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
    total: int
    limit: int
    offset: int
    items: list[QueueItemOut]
