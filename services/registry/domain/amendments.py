"""Change and cancellation of a registered pledge: what may change and why a pledge ends."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from services.registry.domain.filing import Party, PledgeFilingData

CHANGEABLE = ("secured_amount", "performance_deadline", "pledgor", "pledgee")


class CancellationReason(enum.StrEnum):
    DEBT_REPAID = "debt_repaid"
    PLEDGE_ENFORCED = "pledge_enforced"
    PLEDGEE_WAIVED = "pledgee_waived"
    CONTRACT_VOID = "contract_void"


class AmendmentKind(enum.StrEnum):
    CHANGE = "change"
    CANCELLATION = "cancellation"


@dataclass(frozen=True)
class PledgeChange:
    """The terms a change filing asks to replace; None leaves a term as registered."""

    secured_amount: Decimal | None = None
    performance_deadline: date | None = None
    pledgor: Party | None = None
    pledgee: Party | None = None

    def apply_to(self, data: PledgeFilingData) -> tuple[PledgeFilingData, tuple[str, ...]]:
        """The pledge's terms after the change, and the names of the terms that differ."""
        changed = {
            name: getattr(self, name)
            for name in CHANGEABLE
            if getattr(self, name) is not None and getattr(self, name) != getattr(data, name)
        }
        return replace(data, **changed), tuple(changed)


@dataclass(frozen=True)
class Amendment:
    """A change or cancellation entered against a registered pledge."""

    kind: AmendmentKind
    at: datetime
    changed: tuple[str, ...] = ()
    reason: CancellationReason | None = None
