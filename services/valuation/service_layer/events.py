"""Facts the valuation service publishes: completed valuations with their per-right values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from shared.events import DomainEvent

VALUATIONS_TOPIC = "pledgeflow.valuation.valuations"


@dataclass(frozen=True)
class DriverData:
    name: str
    value: str
    effect: str


@dataclass(frozen=True)
class RightValue:
    number: str
    right_type: str
    kind: str
    low: Decimal
    central: Decimal
    high: Decimal
    method: str
    zero_reason: str | None
    quality_score: Decimal | None
    recommended_ltv: Decimal
    drivers: tuple[DriverData, ...]


@dataclass(frozen=True)
class ValuationCompleted(DomainEvent):
    topic = VALUATIONS_TOPIC
    event_type = "valuation.completed"
    schema_version = 1
    valuation_id: str
    reference: str | None
    requested_by: str
    parameter_version: str
    as_of: date
    low: Decimal
    central: Decimal
    high: Decimal
    recommended_max_loan: Decimal
    largest_share: Decimal
    concentration_note: str | None
    rights: tuple[RightValue, ...]
    completed_at: datetime
