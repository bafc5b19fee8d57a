"""Register of rights kept by the national IP administration: patents and trademarks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

PatentKind = Literal["invention", "utility_model", "design"]
PatentStatus = Literal["valid", "terminated", "expired", "invalid", "pending"]
TrademarkStatus = Literal["registered", "revoked", "cancelled", "expired"]

DESIGN_15_YEAR_TERM_FROM = date(2021, 6, 1)

_TERM_YEARS: dict[str, int] = {"invention": 20, "utility_model": 10, "design": 10}


@dataclass(frozen=True)
class Holder:
    """A holder of record: name and unified social credit code."""

    name: str
    uscc: str


def add_years(start: date, years: int) -> date:
    """Return the anniversary of `start` after `years`, moving 29 February to 1 March."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def add_months(start: date, months: int) -> date:
    """Return the same day `months` later, clamped to the end of a shorter month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return min(date(year, month, 1) + timedelta(days=start.day - 1), next_month - timedelta(days=1))


def patent_term_years(kind: str, filing_date: date) -> int:
    """Return the statutory term in years for a patent of `kind` filed on `filing_date`."""
    if kind == "design" and filing_date >= DESIGN_15_YEAR_TERM_FROM:
        return 15
    try:
        return _TERM_YEARS[kind]
    except KeyError:
        raise ValueError(f"unknown patent kind {kind!r}") from None


@dataclass(frozen=True)
class Patent:
    """A patent (invention, utility model or design) as entered on the register."""

    number: str
    kind: PatentKind
    title: str
    holders: tuple[Holder, ...]
    filing_date: date
    grant_date: date | None
    legal_status: PatentStatus
    fees_paid_through: date
    frozen: bool = False
    invalidation_pending: bool = False
    main_ipc: str = ""
    same_day_twin: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in get_args(PatentKind):
            raise ValueError(f"unknown patent kind {self.kind!r}")
        if self.legal_status not in get_args(PatentStatus):
            raise ValueError(f"unknown patent legal status {self.legal_status!r}")
        if not self.holders:
            raise ValueError(f"patent {self.number} has no holder of record")
        if self.same_day_twin == self.number:
            raise ValueError(f"patent {self.number} cannot be its own same-day twin")

    @property
    def patentee(self) -> Holder:
        """Return the patentee of record (the first holder)."""
        return self.holders[0]

    @property
    def co_owned(self) -> bool:
        """Return whether the patent has more than one holder of record."""
        return len(self.holders) > 1

    @property
    def term_end(self) -> date:
        """Return the last day of the statutory term (the day before the anniversary)."""
        years = patent_term_years(self.kind, self.filing_date)
        return add_years(self.filing_date, years) - timedelta(days=1)

    def holder_usccs(self) -> tuple[str, ...]:
        """Return the USCCs of all holders of record, in register order."""
        return tuple(holder.uscc for holder in self.holders)


SAME_DAY_KINDS = frozenset({"invention", "utility_model"})


def same_day_pair(patent: Patent, twin: Patent) -> bool:
    """Whether two entries are an invention and a utility model filed the same day by one
    applicant (a holder of record in common)."""
    return (
        {patent.kind, twin.kind} == SAME_DAY_KINDS
        and patent.filing_date == twin.filing_date
        and bool(set(patent.holder_usccs()) & set(twin.holder_usccs()))
    )


@dataclass(frozen=True)
class Trademark:
    """A registered trademark as entered on the register."""

    number: str
    nice_class: int
    goods: tuple[str, ...]
    mark: str
    owner: Holder
    valid_until: date
    status: TrademarkStatus
    frozen: bool = False

    def __post_init__(self) -> None:
        if self.status not in get_args(TrademarkStatus):
            raise ValueError(f"unknown trademark status {self.status!r}")
