"""Gazette lines of a pledge: one per right, with the register's details of each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.registry.domain.amendments import CancellationReason, PledgeChange
from services.registry.domain.checks import CheckResult
from services.registry.domain.gazette import EntryType, entries_for
from tests.unit.test_registry_checks import INVENTION, MARK, make_filing
from tests.unit.test_registry_pledges import NOW, registered

REGISTERED_ON = date(2024, 3, 15)


def test_a_registration_has_a_line_per_right_with_its_register_details() -> None:
    filing = registered(make_filing(trademarks=(MARK.number,)))
    lines = entries_for(
        filing,
        EntryType.REGISTRATION,
        NOW,
        REGISTERED_ON,
        {INVENTION.number: INVENTION},
    )
    assert [(e.right_number, e.right_kind, e.main_ipc, e.grant_date) for e in lines] == [
        (INVENTION.number, "patent", "H01M 50/403", date(2019, 5, 10)),
        (MARK.number, "trademark", None, None),
    ]
    assert {(e.registration_number, e.registration_date, e.pledgor) for e in lines} == {
        ("Y2024000009", REGISTERED_ON, filing.data.pledgor)
    }


def test_change_and_cancellation_lines_say_what_happened() -> None:
    filing = registered()
    filing.change(PledgeChange(secured_amount=Decimal("9.00")), CheckResult(()), NOW)
    [change] = entries_for(filing, EntryType.CHANGE, NOW, REGISTERED_ON, {})
    filing.cancel(CancellationReason.CONTRACT_VOID, NOW)
    [cancellation] = entries_for(filing, EntryType.CANCELLATION, NOW, REGISTERED_ON, {})
    assert (change.changed, change.reason, change.main_ipc) == (("secured_amount",), None, None)
    assert (cancellation.reason, cancellation.changed) == ("contract_void", ())
