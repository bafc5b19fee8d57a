"""What the console is asked to do (commands) and to show (queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from services.console.domain.staff import Page, Person
from shared.calendars import StoredSchedule
from shared.kernel.messages import Command, Query

# What the console keeps from the topics.


@dataclass(frozen=True)
class RecordEvent(Command):
    """An event of a case, as read from its topic."""

    topic: str
    event_id: str
    event_type: str
    producer: str
    aggregate_id: str
    aggregate_version: int
    occurred_at: datetime
    correlation_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class RecordDeadLetter(Command):
    """A record a consumer group dead-lettered, with the reason in its headers."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class ReceiveSchedule(Command):
    stored: StoredSchedule


@dataclass(frozen=True)
class MarkRedrivesPublished(Command):
    redrive_ids: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class UnpublishedRedrives(Query):
    """Redrives asked for whose records are not yet back on their topics."""


@dataclass(frozen=True)
class SchedulesInForce(Query):
    """The newest stored version of every calendar year."""


# Sessions.


@dataclass(frozen=True)
class SignIn(Command):
    staff_id: str
    password: str


@dataclass(frozen=True)
class SignOut(Command):
    token: str


@dataclass(frozen=True)
class ResumeSession(Command):
    """The session a cookie names, still open: its use is noted and its message handed over."""

    token: str


@dataclass(frozen=True)
class Flash(Command):
    """A message for the person's next page."""

    token: str
    kind: str
    message: str


# What people do through the console, on the services' internal APIs.


@dataclass(frozen=True)
class ServiceAction(Command):
    """Something a person asks a service to do; audited with its outcome."""

    person: Person

    action = "act"
    service = ""
    # The page whose people may ask it; by default the service's own page.
    page: ClassVar[Page | None] = None

    def target(self) -> str:
        raise NotImplementedError

    def request(self) -> tuple[str, str, dict[str, Any] | None]:
        """The method, path and body of the service's internal API."""
        raise NotImplementedError

    def detail(self) -> str:
        return ""


@dataclass(frozen=True)
class FilingAction(ServiceAction):
    filing_id: str

    service = "registry"
    verb = ""

    def target(self) -> str:
        return f"filing {self.filing_id}"

    def body(self) -> dict[str, Any] | None:
        return None

    def request(self) -> tuple[str, str, dict[str, Any] | None]:
        path = f"/internal/v1/examination/filings/{self.filing_id}/{self.verb}"
        return "POST", path, self.body()


@dataclass(frozen=True)
class ClaimFiling(FilingAction):
    action = verb = "claim"


@dataclass(frozen=True)
class ReleaseFiling(FilingAction):
    action = verb = "release"


@dataclass(frozen=True)
class RegisterFiling(FilingAction):
    action = verb = "register"


@dataclass(frozen=True)
class ReassignFiling(FilingAction):
    examiner: str = ""
    action = verb = "reassign"

    def body(self) -> dict[str, Any]:
        return {"examiner": self.examiner}

    def detail(self) -> str:
        return f"to {self.examiner}"


@dataclass(frozen=True)
class AcknowledgeWarnings(FilingAction):
    codes: tuple[str, ...] = ()
    note: str = ""
    action = verb = "acknowledge"

    def body(self) -> dict[str, Any]:
        return {"codes": list(self.codes), "note": self.note}

    def detail(self) -> str:
        return f"{', '.join(self.codes)}: {self.note}"


@dataclass(frozen=True)
class RefuseFiling(FilingAction):
    reasons: tuple[tuple[str, str], ...] = ()
    action = verb = "refuse"

    def body(self) -> dict[str, Any]:
        return {"reasons": [{"code": code, "message": text} for code, text in self.reasons]}

    def detail(self) -> str:
        return ", ".join(code for code, _ in self.reasons)


@dataclass(frozen=True)
class RequestCorrection(FilingAction):
    fields: tuple[str, ...] = ()
    message: str = ""
    action = "request_correction"
    verb = "request-correction"

    def body(self) -> dict[str, Any]:
        return {"fields": list(self.fields), "message": self.message}

    def detail(self) -> str:
        return ", ".join(self.fields)


@dataclass(frozen=True)
class ApproveValuation(ServiceAction):
    valuation_id: str
    reason: str | None = None
    service = "valuation"
    action = "approve_valuation"

    def target(self) -> str:
        return f"valuation {self.valuation_id}"

    def request(self) -> tuple[str, str, dict[str, Any] | None]:
        body = {"reason": self.reason} if self.reason else None
        return "POST", f"/internal/v1/appraisals/{self.valuation_id}/approve", body

    def detail(self) -> str:
        return self.reason or ""


@dataclass(frozen=True)
class AdjustValuation(ServiceAction):
    valuation_id: str
    low: Decimal
    central: Decimal
    high: Decimal
    reason: str
    service = "valuation"
    action = "adjust_valuation"

    def target(self) -> str:
        return f"valuation {self.valuation_id}"

    def request(self) -> tuple[str, str, dict[str, Any] | None]:
        body = {
            "low": f"{self.low:.2f}",
            "central": f"{self.central:.2f}",
            "high": f"{self.high:.2f}",
            "reason": self.reason,
        }
        return "POST", f"/internal/v1/appraisals/{self.valuation_id}/adjust", body

    def detail(self) -> str:
        return f"{self.low:.2f} / {self.central:.2f} / {self.high:.2f}: {self.reason}"


@dataclass(frozen=True)
class DecideReferral(ServiceAction):
    loan_id: str
    outcome: str
    reason: str
    amount: Decimal | None = None
    service = "credit"
    action = "decide_referral"

    def target(self) -> str:
        return f"loan {self.loan_id}"

    def request(self) -> tuple[str, str, dict[str, Any] | None]:
        body: dict[str, Any] = {"outcome": self.outcome, "reasons": [self.reason]}
        if self.amount is not None:
            body["amount"] = f"{self.amount:.2f}"
        return "POST", f"/internal/v1/referrals/{self.loan_id}/decision", body

    def detail(self) -> str:
        return f"{self.outcome}: {self.reason}"


@dataclass(frozen=True)
class RedriveDeadLetters(Command):
    """Put dead letters back on their source topics; each is audited."""

    person: Person
    letter_ids: tuple[str, ...]


# What the pages show.


@dataclass(frozen=True)
class DeskQueue(Query):
    person: Person
    show: str = "all"


@dataclass(frozen=True)
class RunReconciliation(ServiceAction):
    """Credit compares its loans and quotas with the registry's pledges now."""

    action = "reconcile"
    service = "credit"
    page = Page.RECONCILIATION

    def target(self) -> str:
        return "loans, pledges and quotas"

    def request(self) -> tuple[str, str, dict[str, Any] | None]:
        return "POST", "/internal/v1/reconciliation/runs", None


@dataclass(frozen=True)
class ReconciliationPage(Query):
    person: Person


@dataclass(frozen=True)
class MissingCalendar(Query):
    """The official schedules the working time on the desk and the SLA board lacks."""

    person: Person


@dataclass(frozen=True)
class FilingPage(Query):
    person: Person
    filing_id: str


@dataclass(frozen=True)
class CaseTimeline(Query):
    correlation_id: str


@dataclass(frozen=True)
class FindCases(Query):
    kind: str
    value: str


@dataclass(frozen=True)
class PendingValuations(Query):
    pass


@dataclass(frozen=True)
class ValuationPage(Query):
    valuation_id: str


@dataclass(frozen=True)
class Referrals(Query):
    pass


@dataclass(frozen=True)
class ReferralPage(Query):
    loan_id: str


@dataclass(frozen=True)
class DeadLetters(Query):
    consumer: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class SlaBoard(Query):
    days: int = 14


@dataclass(frozen=True)
class Statistics(Query):
    months: int = 12


@dataclass(frozen=True)
class AuditTrail(Query):
    limit: int = 100
    offset: int = 0
