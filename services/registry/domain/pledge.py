"""A pledge filing from receipt to its decision, against the statutory deadline."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from services.registry.domain.checks import CheckResult, Finding, Outcome
from services.registry.domain.events import (
    FilingQueued,
    FilingReceived,
    FilingRefused,
    FindingData,
    PledgeRegistered,
)
from services.registry.domain.filing import PledgeFilingData
from shared.events import Aggregate


class FilingStatus(enum.StrEnum):
    RECEIVED = "received"
    IN_EXAMINATION = "in_examination"
    REGISTERED = "registered"
    REFUSED = "refused"


@dataclass
class PledgeFiling(Aggregate):
    filing_id: str
    filing_reference: str | None
    channel: str
    data: PledgeFilingData
    status: FilingStatus
    received_at: datetime
    deadline_at: datetime
    findings: tuple[Finding, ...] = ()
    registration_number: str | None = None
    decided_at: datetime | None = None
    history: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def aggregate_id(self) -> str:
        return self.filing_id

    @classmethod
    def receive(
        cls,
        *,
        filing_id: str,
        filing_reference: str | None,
        channel: str,
        data: PledgeFilingData,
        received_at: datetime,
        deadline_at: datetime,
    ) -> PledgeFiling:
        """A complete filing arrives; the deadline clock starts."""
        filing = cls(
            filing_id=filing_id,
            filing_reference=filing_reference,
            channel=channel,
            data=data,
            status=FilingStatus.RECEIVED,
            received_at=received_at,
            deadline_at=deadline_at,
        )
        filing._mark(received_at)
        filing.record(
            FilingReceived(
                filing_id=filing_id,
                filing_reference=filing_reference,
                channel=channel,
                pledgor=data.pledgor,
                pledgee=data.pledgee,
                patents=data.patents,
                trademarks=data.trademarks,
                received_at=received_at,
                deadline_at=deadline_at,
            )
        )
        return filing

    def assess(self, result: CheckResult, now: datetime) -> None:
        """Apply the statutory checks: refusals refuse; warnings go to an examiner."""
        self.findings = result.findings
        if result.outcome is Outcome.REFUSE:
            self.refuse(now)
        elif not result.is_clean:
            self.status = FilingStatus.IN_EXAMINATION
            self._mark(now)
            self.record(
                FilingQueued(
                    self.filing_id,
                    self.filing_reference,
                    self._finding_data(),
                    self.deadline_at,
                    now,
                )
            )

    @property
    def green_channel(self) -> bool:
        """Received with no findings at all: registrable at once."""
        return self.status is FilingStatus.RECEIVED and not self.findings

    def register(self, registration_number: str, now: datetime) -> None:
        """Enter the pledge on the register; it exists from this moment."""
        self.status = FilingStatus.REGISTERED
        self.registration_number = registration_number
        self.decided_at = now
        self._mark(now)
        d = self.data
        self.record(
            PledgeRegistered(
                filing_id=self.filing_id,
                filing_reference=self.filing_reference,
                registration_number=registration_number,
                pledgor=d.pledgor,
                pledgee=d.pledgee,
                debt_type=d.debt_type,
                secured_amount=d.secured_amount,
                performance_deadline=d.performance_deadline,
                patents=d.patents,
                trademarks=d.trademarks,
                scope_of_guarantee=d.scope_of_guarantee,
                registered_at=now,
                deadline_at=self.deadline_at,
                within_deadline=now <= self.deadline_at,
            )
        )

    def refuse(self, now: datetime) -> None:
        """Refuse registration with every finding."""
        self.status = FilingStatus.REFUSED
        self.decided_at = now
        self._mark(now)
        d = self.data
        self.record(
            FilingRefused(
                filing_id=self.filing_id,
                filing_reference=self.filing_reference,
                pledgor=d.pledgor,
                pledgee=d.pledgee,
                patents=d.patents,
                trademarks=d.trademarks,
                findings=self._finding_data(),
                refused_at=now,
            )
        )

    def _finding_data(self) -> tuple[FindingData, ...]:
        return tuple(
            FindingData(f.code, f.right, f.message, str(f.severity), f.acknowledged, f.related)
            for f in self.findings
        )

    def _mark(self, now: datetime) -> None:
        self.history.append((self.status.value, now))
