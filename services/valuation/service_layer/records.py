"""Records the valuation service keeps: register entries it has heard of, and valuations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.valuation.domain import RightFacts
from services.valuation.service_layer.events import ValuationCompleted


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


@dataclass(frozen=True)
class ValuationRecord:
    """A stored valuation and the inputs that reproduce it."""

    valuation: ValuationCompleted
    inputs: Mapping[str, Any]
