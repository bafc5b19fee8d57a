"""Entities a loan owns besides its own fields: deadlines, repayments, quota movements."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


class TimeoutKind(enum.StrEnum):
    OFFER_EXPIRY = "offer_expiry"
    PLEDGE_REGISTRATION = "pledge_registration"


@dataclass
class LoanTimeout:
    """A saga deadline: fired once when due, unless the loan moved on first (cancelled).

    A deadline counted in working days through a year without its official schedule is
    provisional: it never fires until the schedule arrives and counts it anew. `basis` maps
    each year of the count to the version of the schedule used (0: none).
    """

    kind: TimeoutKind
    due_at: datetime
    fired_at: datetime | None = None
    cancelled_at: datetime | None = None
    provisional: bool = False
    basis: dict[int, int] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        return self.fired_at is None and self.cancelled_at is None

    def is_due(self, now: datetime) -> bool:
        """Pending, firm, and its moment has come."""
        return self.pending and not self.provisional and self.due_at <= now


@dataclass(frozen=True)
class Repayment:
    """Principal the borrower paid back, with what remained outstanding after it."""

    repayment_id: str
    amount: Decimal
    paid_at: datetime
    outstanding_after: Decimal


@dataclass(frozen=True)
class QuotaMovement:
    """A change to the bank's IP-loan quota that a loan transition causes.

    `release` leaves the reserved amount, `consume` moves into the consumed amount.
    """

    release: Decimal
    consume: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class QuotaState:
    """A bank's IP-loan quota: its total, reserved by open offers, consumed by disbursements."""

    bank_id: str
    total: Decimal
    reserved: Decimal
    consumed: Decimal

    @property
    def available(self) -> Decimal:
        return self.total - self.reserved - self.consumed


@dataclass(frozen=True)
class RefusalGround:
    """A ground on which the registry refused the loan's pledge: code, message and the right
    it concerns, if one."""

    code: str
    message: str
    right: str | None = None


@dataclass(frozen=True)
class StoredTerms:
    """A revision of the banks' lending terms as stored for every replica: the document (the
    terms file as data) and its fingerprint."""

    revision: int
    fingerprint: str
    document: dict[str, Any]
