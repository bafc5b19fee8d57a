"""Facts the registry publishes about the register and about pledge filings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.registry.domain.decisions import Reason
from services.registry.domain.filing import Party
from shared.kernel.events import DomainEvent
from shared.topics import REGISTRY_CALENDAR, REGISTRY_PLEDGES, REGISTRY_RIGHTS

RIGHTS_TOPIC = REGISTRY_RIGHTS
PLEDGES_TOPIC = REGISTRY_PLEDGES
CALENDAR_TOPIC = REGISTRY_CALENDAR


@dataclass(frozen=True)
class FindingData:
    code: str
    right: str | None
    message: str
    severity: str
    acknowledged: bool
    related: tuple[str, ...]


@dataclass(frozen=True)
class HolderData:
    name: str
    uscc: str


@dataclass(frozen=True)
class PatentRecorded(DomainEvent):
    topic = RIGHTS_TOPIC
    event_type = "registry.patent.recorded"
    number: str
    kind: str
    title: str
    holders: tuple[HolderData, ...]
    filing_date: date
    grant_date: date | None
    term_end: date
    legal_status: str
    fees_paid_through: date
    frozen: bool
    invalidation_pending: bool
    main_ipc: str


@dataclass(frozen=True)
class TrademarkRecorded(DomainEvent):
    topic = RIGHTS_TOPIC
    event_type = "registry.trademark.recorded"
    number: str
    nice_class: int
    goods: tuple[str, ...]
    mark: str
    owner: HolderData
    valid_until: date
    status: str
    frozen: bool


@dataclass(frozen=True)
class FilingEvent(DomainEvent):
    topic = PLEDGES_TOPIC


@dataclass(frozen=True)
class FilingReceived(FilingEvent):
    event_type = "registry.filing.received"
    filing_id: str
    filing_reference: str | None
    channel: str
    pledgor: Party
    pledgee: Party
    patents: tuple[str, ...]
    trademarks: tuple[str, ...]
    received_at: datetime
    deadline_at: datetime
    deadline_provisional: bool = False


@dataclass(frozen=True)
class PledgeRegistered(FilingEvent):
    event_type = "registry.pledge.registered"
    filing_id: str
    filing_reference: str | None
    registration_number: str
    pledgor: Party
    pledgee: Party
    debt_type: str
    secured_amount: Decimal
    performance_deadline: date
    patents: tuple[str, ...]
    trademarks: tuple[str, ...]
    scope_of_guarantee: str
    registered_at: datetime
    deadline_at: datetime
    within_deadline: bool
    decided_by: str | None = None


@dataclass(frozen=True)
class FilingRefused(FilingEvent):
    event_type = "registry.filing.refused"
    filing_id: str
    filing_reference: str | None
    pledgor: Party
    pledgee: Party
    patents: tuple[str, ...]
    trademarks: tuple[str, ...]
    findings: tuple[FindingData, ...]
    refused_at: datetime
    decided_by: str | None = None
    reasons: tuple[Reason, ...] = ()
    grounds: tuple[FindingData, ...] = ()


@dataclass(frozen=True)
class FilingQueued(FilingEvent):
    event_type = "registry.filing.queued_for_examination"
    filing_id: str
    filing_reference: str | None
    findings: tuple[FindingData, ...]
    deadline_at: datetime
    queued_at: datetime


@dataclass(frozen=True)
class FilingClaimed(FilingEvent):
    """An examiner took a filing in examination."""

    event_type = "registry.filing.claimed"
    filing_id: str
    filing_reference: str | None
    claimed_by: str
    claimed_at: datetime
    deadline_at: datetime


@dataclass(frozen=True)
class FilingReleased(FilingEvent):
    """The examiner holding a filing (or a supervisor) put it back in the queue, unclaimed."""

    event_type = "registry.filing.released"
    filing_id: str
    filing_reference: str | None
    released_by: str
    previous_examiner: str
    released_at: datetime
    deadline_at: datetime


@dataclass(frozen=True)
class FilingReassigned(FilingEvent):
    """A supervisor gave a claimed filing to another examiner."""

    event_type = "registry.filing.reassigned"
    filing_id: str
    filing_reference: str | None
    reassigned_by: str
    previous_examiner: str
    claimed_by: str
    reassigned_at: datetime
    deadline_at: datetime


@dataclass(frozen=True)
class CorrectionRequested(FilingEvent):
    """The examiner asked the parties to correct the filing; the deadline is suspended."""

    event_type = "registry.filing.correction_requested"
    filing_id: str
    filing_reference: str | None
    requested_by: str
    message: str
    requested_at: datetime
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class FilingCorrected(FilingEvent):
    """The parties corrected the filing; it was checked again and the deadline restarted."""

    event_type = "registry.filing.corrected"
    filing_id: str
    filing_reference: str | None
    pledgor: Party
    pledgee: Party
    patents: tuple[str, ...]
    trademarks: tuple[str, ...]
    findings: tuple[FindingData, ...]
    corrected_at: datetime
    deadline_at: datetime
    deadline_provisional: bool
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class WarningsAcknowledged(FilingEvent):
    """The examiner recorded that the parties confirmed they proceed despite warnings."""

    event_type = "registry.filing.warnings_acknowledged"
    filing_id: str
    filing_reference: str | None
    acknowledged_by: str
    codes: tuple[str, ...]
    note: str
    findings: tuple[FindingData, ...]
    acknowledged_at: datetime


@dataclass(frozen=True)
class SlaBreached(FilingEvent):
    """A filing still undecided when its statutory deadline passed (announced once)."""

    event_type = "registry.filing.sla_breached"
    filing_id: str
    filing_reference: str | None
    status: str
    claimed_by: str | None
    received_at: datetime
    deadline_at: datetime
    deadline_provisional: bool
    breached_at: datetime


@dataclass(frozen=True)
class DeadlineMoved(FilingEvent):
    """A newly loaded or amended official schedule moved an open filing's deadline."""

    event_type = "registry.filing.deadline_moved"
    filing_id: str
    filing_reference: str | None
    previous_deadline_at: datetime
    deadline_at: datetime
    deadline_provisional: bool
    calendar_year: int
    calendar_version: int
    moved_at: datetime


@dataclass(frozen=True)
class CalendarYearPublished(DomainEvent):
    """The registry office put a year's official working-day schedule in force, or amended it.

    The newest version of a year replaces every earlier one; the record key is the year.
    """

    topic = CALENDAR_TOPIC
    event_type = "registry.calendar.year_published"
    year: int
    version: int
    holidays: tuple[date, ...]
    makeup_workdays: tuple[date, ...]
    notice_reference: str
    notice_published_on: date
    entered_by: str
    entered_at: datetime


@dataclass(frozen=True)
class PledgeChanged(FilingEvent):
    """A registered pledge's secured amount, performance deadline or parties changed."""

    event_type = "registry.pledge.changed"
    registration_number: str
    filing_id: str
    filing_reference: str | None
    changed: tuple[str, ...]
    pledgor: Party
    pledgee: Party
    debt_type: str
    secured_amount: Decimal
    performance_deadline: date
    patents: tuple[str, ...]
    trademarks: tuple[str, ...]
    changed_at: datetime


@dataclass(frozen=True)
class PledgeCancelled(FilingEvent):
    """A pledge's registration was cancelled; its rights are free to pledge again."""

    event_type = "registry.pledge.cancelled"
    registration_number: str
    filing_id: str
    filing_reference: str | None
    reason: str
    patents: tuple[str, ...]
    trademarks: tuple[str, ...]
    pledgor: Party
    pledgee: Party
    cancelled_at: datetime


# The registry's decisions and staff actions, each entered in its decision ledger: the register
# of rights, the outcome of every filing with its grounds, the examiners' and supervisors' acts
# on the desk, changes and cancellations of pledges, and the official calendar entered.
DECISIONS = frozenset(
    {
        PatentRecorded.event_type,
        TrademarkRecorded.event_type,
        PledgeRegistered.event_type,
        FilingRefused.event_type,
        CorrectionRequested.event_type,
        FilingCorrected.event_type,
        WarningsAcknowledged.event_type,
        FilingClaimed.event_type,
        FilingReleased.event_type,
        FilingReassigned.event_type,
        PledgeChanged.event_type,
        PledgeCancelled.event_type,
        CalendarYearPublished.event_type,
    }
)
