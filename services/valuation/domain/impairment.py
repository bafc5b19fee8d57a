"""When a pledged right stops backing its loan in full."""

from __future__ import annotations

from datetime import date

from services.valuation.domain.methods import remaining_whole_years, zero_reason
from services.valuation.domain.model import RightFacts

TERM_ENDING = "right.term_ending"


def impairment_reason(facts: RightFacts, as_of: date, min_remaining_years: int) -> str | None:
    """The zero-value reason of an unusable right, `right.term_ending` for a short term, or None."""
    reason = zero_reason(facts, as_of)
    if reason is not None:
        return reason
    if remaining_whole_years(as_of, facts.expiry_date) < min_remaining_years:
        return TERM_ENDING
    return None
