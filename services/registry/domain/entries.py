"""Entries the register refuses because they contradict themselves, each with a stable code.

- `patent.grant_before_filing`: a patent is granted on or after the day it was filed.
- `patent.filing_year_mismatch`: the application number starts with the year the application
  was received. An ordinary application's filing date falls in that year; a PCT application
  (type digit 8 or 9) keeps its international filing date, which precedes its entry into the
  national phase by at most `PCT_ENTRY_YEARS` years, never follows it.
- `patent.grant_date_missing`: a valid, expired or invalidated patent was granted, so its grant
  date is known; `patent.pending_with_grant_date`: a pending application has none.
- `patent.filing_date_in_future`, `patent.grant_date_in_future`: the register records what has
  happened, so neither date falls after today (Beijing).
- `holders.duplicate`: a holder (by USCC) is listed once.
- `trademark.goods_duplicate`: a similar-goods group is listed once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.registry.domain.register import Holder, Patent, Trademark
from shared.identifiers import parse_patent_number

PCT_ENTRY_YEARS = 3
GRANTED_STATUSES = frozenset({"valid", "expired", "invalid"})


@dataclass(frozen=True)
class EntryProblem:
    """One contradiction in an entry: a stable code, the field concerned and why."""

    code: str
    field: str
    message: str

    def as_error(self) -> dict[str, str | None]:
        """The problem as a field error of an HTTP answer or a bulk report."""
        return {"code": self.code, "field": self.field, "message": self.message}


def patent_problems(patent: Patent, today: date) -> list[EntryProblem]:
    """Every contradiction in a patent entry; empty when it is consistent."""
    return [
        *_dates(patent, today),
        *_filing_year(patent),
        *_status(patent),
        *_duplicate_holders(patent.holders),
    ]


def trademark_problems(mark: Trademark) -> list[EntryProblem]:
    """Every contradiction in a trademark entry; empty when it is consistent."""
    return [
        EntryProblem(
            "trademark.goods_duplicate", f"goods.{index}", f"goods group {group} is listed twice"
        )
        for index, group in _repeated(mark.goods)
    ]


def _dates(patent: Patent, today: date) -> list[EntryProblem]:
    problems = []
    if patent.grant_date is not None and patent.grant_date < patent.filing_date:
        problems.append(
            EntryProblem(
                "patent.grant_before_filing",
                "grant_date",
                f"granted on {patent.grant_date}, before it was filed on {patent.filing_date}",
            )
        )
    if patent.filing_date > today:
        problems.append(
            EntryProblem(
                "patent.filing_date_in_future",
                "filing_date",
                f"filed on {patent.filing_date}, after today ({today})",
            )
        )
    if patent.grant_date is not None and patent.grant_date > today:
        problems.append(
            EntryProblem(
                "patent.grant_date_in_future",
                "grant_date",
                f"granted on {patent.grant_date}, after today ({today})",
            )
        )
    return problems


def _filing_year(patent: Patent) -> list[EntryProblem]:
    number = parse_patent_number(patent.number)
    filed = patent.filing_date.year
    earliest = number.filing_year - PCT_ENTRY_YEARS if number.pct else number.filing_year
    if earliest <= filed <= number.filing_year:
        return []
    expected = (
        f"{earliest} to {number.filing_year} for a PCT application"
        if number.pct
        else str(number.filing_year)
    )
    return [
        EntryProblem(
            "patent.filing_year_mismatch",
            "filing_date",
            f"filed on {patent.filing_date}, but number {patent.number} was given in "
            f"{number.filing_year}: the filing year should be {expected}",
        )
    ]


def _status(patent: Patent) -> list[EntryProblem]:
    if patent.legal_status in GRANTED_STATUSES and patent.grant_date is None:
        return [
            EntryProblem(
                "patent.grant_date_missing",
                "grant_date",
                f"a {patent.legal_status} patent was granted: give its grant date",
            )
        ]
    if patent.legal_status == "pending" and patent.grant_date is not None:
        return [
            EntryProblem(
                "patent.pending_with_grant_date",
                "legal_status",
                f"granted on {patent.grant_date}, so it is no longer pending",
            )
        ]
    return []


def _duplicate_holders(holders: Iterable[Holder]) -> list[EntryProblem]:
    return [
        EntryProblem("holders.duplicate", f"holders.{index}.uscc", f"{uscc} is listed twice")
        for index, uscc in _repeated(h.uscc for h in holders)
    ]


def _repeated(values: Iterable[str]) -> list[tuple[int, str]]:
    seen: set[str] = set()
    repeated = []
    for index, value in enumerate(values):
        if value in seen:
            repeated.append((index, value))
        seen.add(value)
    return repeated
