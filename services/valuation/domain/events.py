"""Facts the valuation service publishes: valuations, appraiser sign-offs and impairments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from shared.kernel.events import DomainEvent
from shared.topics import VALUATIONS


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
    expiry_date: date | None = None


@dataclass(frozen=True)
class ValuationCompleted(DomainEvent):
    """A valuation was made; a provisional one waits for an appraiser's sign-off."""

    topic = VALUATIONS
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
    status: str = "final"


@dataclass(frozen=True)
class ValuationSignedOff(DomainEvent):
    """An appraiser approved or adjusted a provisional valuation."""

    topic = VALUATIONS
    event_type = "valuation.signed_off"
    schema_version = 1
    valuation_id: str
    reference: str | None
    requested_by: str
    outcome: str
    low: Decimal
    central: Decimal
    high: Decimal
    recommended_max_loan: Decimal
    appraiser_id: str
    reason: str | None
    signed_off_at: datetime
    rights: tuple[RightValue, ...]


@dataclass(frozen=True)
class ValuationImpaired(DomainEvent):
    """A right pledged for a loan became unusable or near the end of its term; revalued."""

    topic = VALUATIONS
    event_type = "valuation.impaired"
    schema_version = 1
    loan_reference: str
    right_number: str
    reason: str
    previous_central: Decimal
    new_central: Decimal
    valuation_id: str
    detected_at: datetime
    previous_right_central: Decimal
    new_right_central: Decimal


# Valuation's decisions, each entered in its decision ledger: every valuation with its
# parameter version, every appraiser's sign-off and every impairment.
DECISIONS = frozenset(
    {
        ValuationCompleted.event_type,
        ValuationSignedOff.event_type,
        ValuationImpaired.event_type,
    }
)
