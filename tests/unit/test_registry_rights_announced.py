"""A right's entry as valuation and credit receive it: every fact of the register announced."""

from __future__ import annotations

from datetime import date

import pytest

from services.registry.domain.register import Holder, Patent, Trademark
from services.registry.domain.rights import RightEntry
from shared.envelope import Envelope
from shared.identifiers import make_uscc, patent_check_digit

NUMBER = f"201910000001.{patent_check_digit('201910000001')}"
OPTICS = Holder("Hangzhou Lens Optics Co., Ltd.", make_uscc(7))
PARTNER = Holder("Zhejiang Glass Research Institute", make_uscc(8))


def test_a_patent_entry_announces_every_fact_of_the_register() -> None:
    entry = RightEntry(NUMBER)
    entry.enter(
        Patent(
            number=NUMBER,
            kind="invention",
            title="Aspheric lens moulding",
            holders=(OPTICS, PARTNER),
            filing_date=date(2019, 3, 1),
            grant_date=date(2021, 6, 1),
            legal_status="valid",
            fees_paid_through=date(2027, 2, 28),
            frozen=True,
            invalidation_pending=True,
            main_ipc="G02B 3/04",
        )
    )
    [(version, event)] = entry.collect_events()
    assert (version, event.event_type) == (1, "registry.patent.recorded")
    assert Envelope.payload_of(event) == {
        "number": NUMBER,
        "kind": "invention",
        "title": "Aspheric lens moulding",
        "holders": [
            {"name": OPTICS.name, "uscc": OPTICS.uscc},
            {"name": PARTNER.name, "uscc": PARTNER.uscc},
        ],
        "filing_date": "2019-03-01",
        "grant_date": "2021-06-01",
        # twenty years from filing, to the day before the anniversary
        "term_end": "2039-02-28",
        "legal_status": "valid",
        "fees_paid_through": "2027-02-28",
        "frozen": True,
        "invalidation_pending": True,
        "main_ipc": "G02B 3/04",
    }


def test_a_trademark_entry_announces_its_class_goods_owner_and_status() -> None:
    entry = RightEntry("35512345")
    entry.enter(
        Trademark(
            number="35512345",
            nice_class=9,
            goods=("spectacle lenses", "optical glass"),
            mark="BLUE LENS",
            owner=OPTICS,
            valid_until=date(2031, 1, 6),
            status="registered",
            frozen=True,
        )
    )
    [(_, event)] = entry.collect_events()
    assert Envelope.payload_of(event) == {
        "number": "35512345",
        "nice_class": 9,
        "goods": ["spectacle lenses", "optical glass"],
        "mark": "BLUE LENS",
        "owner": {"name": OPTICS.name, "uscc": OPTICS.uscc},
        "valid_until": "2031-01-06",
        "status": "registered",
        "frozen": True,
    }


def test_an_entry_holds_only_its_own_right() -> None:
    entry = RightEntry("35512345")
    other = Trademark("35512346", 9, ("lenses",), "X", OPTICS, date(2031, 1, 6), "registered")
    with pytest.raises(ValueError) as refused:
        entry.enter(other)
    assert str(refused.value) == "entry 35512345 cannot hold 35512346"
    assert entry.collect_events() == []
