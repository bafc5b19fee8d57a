"""Facts the registry publishes about the register and about pledge filings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.registry.domain.filing import Party
from shared.events import DomainEvent

RIGHTS_TOPIC = "pledgeflow.registry.rights"
PLEDGES_TOPIC = "pledgeflow.registry.pledges"


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


@dataclass(frozen=True)
class FilingQueued(FilingEvent):
    event_type = "registry.filing.queued_for_examination"
    filing_id: str
    filing_reference: str | None
    findings: tuple[FindingData, ...]
    deadline_at: datetime
    queued_at: datetime
