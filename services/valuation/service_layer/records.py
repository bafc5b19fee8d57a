"""Records the valuation service keeps: register entries, valuations, sign-offs, pledges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.valuation.domain import RightFacts, ValueRange
from services.valuation.service_layer.events import RightValue, ValuationCompleted


@dataclass(frozen=True, kw_only=True)
class RegisteredRight:
    """One right as the registry last described it, in the valuation domain's vocabulary."""

    number: str
    right_type: str
    kind: str
    filing_date: date | None
    grant_date: date | None
    expiry_date: date
    legal_status: str
    frozen: bool
    invalidation_pending: bool
    main_ipc: str | None
    nice_class: int | None
    holder_usccs: tuple[str, ...]
    source_event_version: int
    updated_at: datetime

    def facts(self) -> RightFacts:
        """The facts the valuation domain values."""
        return RightFacts(
            right_type=self.right_type,
            number=self.number,
            patent_kind=self.kind if self.right_type == "patent" else None,
            filing_date=self.filing_date,
            grant_date=self.grant_date,
            expiry_date=self.expiry_date,
            legal_status=self.legal_status,
            frozen=self.frozen,
            invalidation_pending=self.invalidation_pending,
            main_ipc=self.main_ipc,
            nice_class=self.nice_class,
        )


@dataclass(frozen=True, kw_only=True)
class SignOffRecord:
    """An appraiser's approval or adjustment of a provisional valuation, with before and after."""

    valuation_id: str
    outcome: str
    appraiser_id: str
    reason: str | None
    before: ValueRange
    after: ValueRange
    recommended_max_loan: Decimal
    rights: tuple[RightValue, ...]
    signed_off_at: datetime


@dataclass(frozen=True)
class ValuationRecord:
    """A stored valuation, the inputs that reproduce it, and its sign-off if any."""

    valuation: ValuationCompleted
    inputs: Mapping[str, Any]
    signoff: SignOffRecord | None = None

    @property
    def effective_central(self) -> Decimal:
        """The central value in force: the appraiser's when signed off, the model's otherwise."""
        return self.signoff.after.central if self.signoff else self.valuation.central

    @property
    def effective_rights(self) -> tuple[RightValue, ...]:
        """Per-right values in force, as `effective_central`."""
        return self.signoff.rights if self.signoff else self.valuation.rights


@dataclass(frozen=True)
class Pledge:
    """A right pledged for a disbursed loan, and the valuation its value now rests on."""

    right_number: str
    loan_reference: str
    valuation_id: str
