"""The console's rules: working time left on the official calendar, staff passwords and roles,
how a case is described and found, and the figures its charts draw."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.console.domain import charts
from services.console.domain.grounds import CORRECTABLE_TERMS, REFUSAL_GROUNDS
from services.console.domain.staff import (
    DevelopmentAccounts,
    Page,
    PageForbidden,
    Person,
    Role,
    SignInRefused,
    StaffDirectory,
    StaffMember,
    hash_password,
    password_matches,
)
from services.console.domain.timeline import KeyKind, case_keys, describe, normalised
from services.console.domain.worktime import time_left
from shared.workdays import OfficialCalendar
from tests.dates import beijing

CALENDAR = OfficialCalendar()


def test_time_left_counts_working_days_and_the_hours_left_today() -> None:
    # Received Monday 2025-09-22; due at the end of Tuesday the 23rd (1 working day).
    deadline = beijing(2025, 9, 24)
    assert time_left(beijing(2025, 9, 22, 14), deadline, CALENDAR).text == (
        "1 working day and 10 h left"
    )
    assert time_left(beijing(2025, 9, 23, 16, 30), deadline, CALENDAR).text == (
        "due today, 7 h left"
    )
    late = time_left(beijing(2025, 9, 25, 9), deadline, CALENDAR)
    assert late.overdue and late.text == "overdue by 2 working days"


def test_time_left_skips_the_national_day_holidays_and_counts_the_makeup_saturday() -> None:
    # 2025-10-01..08 were days off; Saturday 2025-10-11 was a working day.
    seen_on_holiday = time_left(beijing(2025, 10, 3, 10), beijing(2025, 10, 11), CALENDAR)
    assert (seen_on_holiday.working_days, seen_on_holiday.hours_today) == (2, 0)
    assert seen_on_holiday.text == "2 working days left"
    over_the_weekend = time_left(beijing(2025, 10, 10, 20), beijing(2025, 10, 12), CALENDAR)
    assert over_the_weekend.text == "1 working day and 4 h left"


def test_a_password_is_kept_as_a_salted_scrypt_hash() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("scrypt$") and first != second
    assert password_matches("correct horse", first)
    assert not password_matches("correct horsE", first)
    assert not password_matches("correct horse", "md5$abc")


def member(staff_id: str, role: Role, development: bool = False) -> StaffMember:
    return StaffMember(staff_id, staff_id.title(), role, hash_password("s3cret-pass"), development)


def test_staff_sign_in_with_their_own_password_only() -> None:
    staff = StaffDirectory([member("examiner-li", Role.EXAMINER)])
    assert staff.sign_in("examiner-li", "s3cret-pass") == Person(
        "examiner-li", "Examiner-Li", Role.EXAMINER
    )
    for staff_id, password in (("examiner-li", "wrong"), ("nobody", "s3cret-pass")):
        with pytest.raises(SignInRefused):
            staff.sign_in(staff_id, password)


def test_production_refuses_development_accounts() -> None:
    StaffDirectory([member("a", Role.OPERATOR)]).refuse_development_accounts()
    with pytest.raises(DevelopmentAccounts, match="examiner-li"):
        StaffDirectory(
            [member("examiner-li", Role.EXAMINER, development=True)]
        ).refuse_development_accounts()


def test_each_role_sees_its_own_pages() -> None:
    examiner = Person("e", "E", Role.EXAMINER)
    operator = Person("o", "O", Role.OPERATOR)
    assert examiner.pages == (Page.DESK,)
    assert Page.DEAD_LETTERS in operator.pages and Page.DESK not in operator.pages
    assert Person("a", "A", Role.APPRAISER).pages == (Page.APPRAISALS,)
    assert Person("c", "C", Role.CREDIT_OFFICER).pages == (Page.REFERRALS,)
    with pytest.raises(PageForbidden):
        examiner.require(Page.DEAD_LETTERS)


def test_a_case_is_found_by_its_loan_rights_enterprise_and_bank() -> None:
    payload = {
        "bank_id": "bank-hangzhou",
        "enterprise": {"uscc": "91310115ma1k3yj675", "name": "Lens"},
        "collateral": [
            {"right_type": "patent", "number": "CN202210601862.4"},
            {"right_type": "trademark", "number": "12345678"},
        ],
    }
    keys = case_keys("credit.application.submitted", "loan-1", payload)
    assert keys == {
        (KeyKind.LOAN, "loan-1"),
        (KeyKind.BANK, "bank-hangzhou"),
        (KeyKind.ENTERPRISE, "91310115MA1K3YJ675"),
        (KeyKind.PATENT, "202210601862.4"),
        (KeyKind.TRADEMARK, "12345678"),
    }
    assert normalised(KeyKind.PATENT, " zl202210601862.4 ") == "202210601862.4"
    filing = {
        "pledgor": {"uscc": "91310115MA1K3YJ675"},
        "pledgee": {"uscc": "91330100609123456B"},
        "patents": ["202210601862.4"],
    }
    assert (KeyKind.BANK, "91330100609123456B") in case_keys(
        "registry.filing.received", "f", filing
    )


def test_each_step_of_a_case_reads_as_a_sentence() -> None:
    assert describe("registry.filing.claimed", {"claimed_by": "examiner-li"}) == (
        "Filing claimed by examiner-li"
    )
    assert describe(
        "credit.loan.disbursed", {"amount": "714325.08", "pledge_registration_number": "Y1"}
    ) == ("Loan disbursed: ¥714,325.08, pledge Y1")
    assert describe("registry.filing.unheard_of", {}) == "registry.filing.unheard_of"
    refused = {"decided_by": "exa", "grounds": [{"code": "right.frozen"}]}
    assert describe("registry.filing.refused", refused) == "Filing refused by exa: right.frozen"


def test_the_drivers_chart_draws_score_points_and_the_discount_rate_build_up() -> None:
    drivers = [
        {"name": "quality_score", "value": "34.19", "effect": "selects K"},
        {"name": "score.remaining_term", "value": "61%", "effect": "+9.19 of 15 points"},
        {"name": "score.claims", "value": "0", "effect": "+0 of 10 points"},
        {"name": "risk_free_rate", "value": "2.50%", "effect": "base of r"},
        {"name": "premium.technical", "value": "5.00%", "effect": "range"},
        {"name": "premium.market", "value": "2.50%", "effect": "range"},
    ]
    score = charts.score_contributions(drivers)
    assert [(b.label, b.shown, b.width) for b in score] == [
        ("remaining term", "9.19 of 15 points", round(9.19 / 100 * charts.WIDTH, 1)),
        ("claims", "0 of 10 points", 0.0),
    ]
    rate = charts.rate_build_up(drivers)
    assert [(b.label, b.x, b.width) for b in rate] == [
        ("risk free rate", 0.0, 150.0),
        ("technical", 150.0, 300.0),
        ("market", 450.0, 150.0),
    ]
    drawn = charts.value_range(Decimal("100"), Decimal("150"), Decimal("200"))
    assert drawn.low < drawn.central < drawn.high <= charts.WIDTH


def test_the_refusal_grounds_and_correctable_terms_are_the_registrys() -> None:
    from services.registry.domain.checks import REFUSAL_GROUNDS as REGISTRY_GROUNDS
    from services.registry.domain.corrections import CorrectableField

    assert set(REFUSAL_GROUNDS) == set(REGISTRY_GROUNDS)
    assert set(CORRECTABLE_TERMS) == {field.value for field in CorrectableField}


def test_the_console_shows_the_dead_letters_of_every_consumer_group() -> None:
    from services.console.settings import DEAD_LETTER_GROUPS
    from tests.unit.test_consumer_payloads import consumer_specs

    assert set(DEAD_LETTER_GROUPS) == {spec.name for spec in consumer_specs()}
