"""Pledge registration filing as received by the registration desk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class Party:
    """A party to the pledge contract."""

    name: str
    uscc: str
    address: str


@dataclass(frozen=True, kw_only=True)
class PledgeFilingData:
    """The content of a pledge registration application and its pledge contract."""

    pledgor: Party
    pledgee: Party
    debt_type: str
    secured_amount: Decimal
    performance_deadline: date
    patents: tuple[str, ...] = ()
    trademarks: tuple[str, ...] = ()
    scope_of_guarantee: str
    co_owner_consents: tuple[str, ...] = ()
    acknowledged: frozenset[str] = field(default_factory=frozenset)
    filed_on: date
    same_day_utility_invention: tuple[str, ...] = ()

    @property
    def rights(self) -> tuple[str, ...]:
        """Return every right number in the filing, patents first."""
        return self.patents + self.trademarks


@dataclass(frozen=True)
class Deadline:
    """When a decision on a filing is due; provisional when a year of the count had no notice.

    `basis` maps each year the count ran through to the version of the official schedule it
    used (0: none), so a newer schedule tells which deadlines it may move.
    """

    at: datetime
    provisional: bool = False
    basis: Mapping[int, int] = field(default_factory=dict)
