"""Records the valuation service keeps: register entries, right references, sign-offs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.valuation.domain.events import RightValue
from services.valuation.domain.model import RightFacts
from services.valuation.domain.signoff import ValueRange
from shared.identifiers import parse_patent_number, parse_trademark_number

PATENT = "patent"
TRADEMARK = "trademark"


@dataclass(frozen=True)
class RightRef:
    """A right named for valuation: its type and its number."""

    right_type: str
    number: str

    def canonical(self) -> RightRef:
        """The same right with its number in register form; `InvalidIdentifier` if malformed."""
        return RightRef(self.right_type, canonical_number(self.right_type, self.number))


def canonical_number(right_type: str, number: str) -> str:
    """The number in its register form; raises `InvalidIdentifier` when malformed."""
    if right_type == PATENT:
        return parse_patent_number(number).canonical
    if right_type == TRADEMARK:
        return parse_trademark_number(number)
    raise ValueError(f"unknown right_type {right_type!r}")


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
            patent_kind=self.kind if self.right_type == PATENT else None,
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
