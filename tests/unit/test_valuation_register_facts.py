"""What valuation takes from the register: every fact the registry reported reaches the value."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.valuation.domain.model import RightFacts
from services.valuation.domain.records import RegisteredRight, RightRef, canonical_number
from shared.identifiers import InvalidIdentifier

SEEN = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def registered(**changes: object) -> RegisteredRight:
    fields: dict[str, object] = {
        "number": "201910000001.X",
        "right_type": "patent",
        "kind": "invention",
        "filing_date": date(2019, 3, 1),
        "grant_date": date(2021, 6, 1),
        "expiry_date": date(2039, 3, 1),
        "legal_status": "valid",
        "frozen": True,
        "invalidation_pending": True,
        "main_ipc": "G02B 13/00",
        "nice_class": None,
        "holder_usccs": ("91310000000000007X",),
        "source_event_version": 4,
        "updated_at": SEEN,
    }
    return RegisteredRight(**(fields | changes))  # type: ignore[arg-type]


def test_a_registered_patent_is_valued_on_every_fact_the_registry_reported() -> None:
    assert registered().facts() == RightFacts(
        right_type="patent",
        number="201910000001.X",
        patent_kind="invention",
        filing_date=date(2019, 3, 1),
        grant_date=date(2021, 6, 1),
        expiry_date=date(2039, 3, 1),
        legal_status="valid",
        frozen=True,
        invalidation_pending=True,
        main_ipc="G02B 13/00",
        nice_class=None,
    )


def test_a_registered_trademark_keeps_its_nice_class_and_has_no_patent_kind() -> None:
    mark = registered(
        number="35512345",
        right_type="trademark",
        kind="trademark",
        filing_date=None,
        main_ipc=None,
        nice_class=9,
        frozen=False,
        invalidation_pending=False,
    )
    assert mark.facts() == RightFacts(
        right_type="trademark",
        number="35512345",
        patent_kind=None,
        filing_date=None,
        grant_date=date(2021, 6, 1),
        expiry_date=date(2039, 3, 1),
        legal_status="valid",
        frozen=False,
        invalidation_pending=False,
        main_ipc=None,
        nice_class=9,
    )


def test_a_right_is_named_in_its_register_form() -> None:
    assert RightRef("patent", "CN 2019 1000 0001.9").canonical() == RightRef(
        "patent", "201910000001.9"
    )
    assert canonical_number("trademark", "第03551234号") == "3551234"
    with pytest.raises(InvalidIdentifier):
        canonical_number("patent", "201910000001.1")
    with pytest.raises(ValueError, match="unknown right_type 'copyright'"):
        canonical_number("copyright", "2019-A-1")
