"""What valuation is asked to do (commands) and to tell (queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.valuation.domain.model import ZERO, Comparable
from services.valuation.domain.records import RightRef
from services.valuation.domain.signoff import ValueRange
from shared.kernel.messages import Command, Query


@dataclass(frozen=True, kw_only=True)
class BankFigures:
    """The bank's figures for the rights valued together, split over the usable rights."""

    annual_revenue: Decimal
    revenue_growth: Decimal = ZERO
    industry: str = "default"
    high_tech: bool = False
    comparables: tuple[Comparable, ...] = ()
    replacement_cost: Decimal | None = None


@dataclass(frozen=True)
class ValueRights(Command):
    """A bank asks for a valuation of rights (each at most once), outside a loan application."""

    requested_by: str
    rights: tuple[RightRef, ...]
    figures: BankFigures


@dataclass(frozen=True)
class ValueApplication(Command):
    """Value the collateral of a loan application; a loan is valued for credit once."""

    loan_id: str
    rights: tuple[RightRef, ...]
    figures: BankFigures


@dataclass(frozen=True, kw_only=True)
class RecordRight(Command):
    """Keep the register's latest description of a right; older versions are ignored."""

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


@dataclass(frozen=True)
class FollowCollateral(Command):
    """Follow the rights of a disbursed loan."""

    loan_id: str


@dataclass(frozen=True)
class ReleaseCollateral(Command):
    """Stop following the rights of a loan whose pledge is released or which is repaid."""

    loan_id: str


@dataclass(frozen=True, kw_only=True)
class SignOff(Command):
    """An appraiser's sign-off; with `adjusted` figures it adjusts, without it approves."""

    valuation_id: str
    appraiser_id: str
    reason: str | None = None
    adjusted: ValueRange | None = None


@dataclass(frozen=True)
class GetValuation(Query):
    """A valuation, as the requester who asked for it sees it."""

    valuation_id: str
    requested_by: str


@dataclass(frozen=True)
class GetAppraisal(Query):
    """Any valuation with its sign-off, for appraisers."""

    valuation_id: str


@dataclass(frozen=True)
class PendingSignOffs(Query):
    """Provisional valuations waiting for an appraiser, oldest first, after `after`."""

    limit: int
    after: str | None = None


@dataclass(frozen=True)
class GetRight(Query):
    """A right as the registry's events recorded it."""

    number: str


@dataclass(frozen=True)
class ReproduceValuation(Query):
    """Run a stored valuation again and compare every figure."""

    valuation_id: str
