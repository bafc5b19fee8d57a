"""Statutory checks of the registry's pledge-registration desk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from services.registry.domain.checks import (
    CheckResult,
    Finding,
    Outcome,
    RefusalCode,
    Severity,
    check_filing,
)
from services.registry.domain.filing import Party, PledgeFilingData
from services.registry.domain.register import (
    Holder,
    Patent,
    PatentKind,
    PatentStatus,
    Trademark,
    TrademarkStatus,
    add_months,
)

ON = date(2024, 3, 15)
PLEDGOR_USCC = "91310000MA1FL5LX3X"
PLEDGEE_USCC = "91110000100000000A"
CO_OWNER_USCC = "91440300MA5DC1234K"
THIRD_USCC = "91330100MA2B0A1B2C"
PATENT_NO = "201710601862.3"
UTILITY_NO = "201820345678.9"
MARK_NO = "23456789"

PLEDGOR = Party(
    "Shanghai Lanxin Technology Co., Ltd.", PLEDGOR_USCC, "88 Zhangjiang Road, Shanghai"
)
PLEDGEE = Party("Bank of Pudong Development", PLEDGEE_USCC, "12 Zhongshan East Road, Shanghai")
PATENTEE = Holder(PLEDGOR.name, PLEDGOR_USCC)
CO_OWNER = Holder("Shenzhen Hexin Materials Co., Ltd.", CO_OWNER_USCC)
STRANGER = Holder("Hangzhou Yuntu Software Co., Ltd.", THIRD_USCC)

INVENTION = Patent(
    number=PATENT_NO,
    kind="invention",
    title="Method for grading lithium battery separators",
    holders=(PATENTEE,),
    filing_date=date(2017, 7, 20),
    grant_date=date(2019, 5, 10),
    legal_status="valid",
    fees_paid_through=date(2024, 7, 19),
    main_ipc="H01M 50/403",
)
UTILITY = replace(
    INVENTION,
    number=UTILITY_NO,
    kind="utility_model",
    filing_date=date(2018, 3, 2),
    grant_date=date(2018, 11, 9),
    fees_paid_through=date(2025, 3, 1),
)
MARK = Trademark(
    number=MARK_NO,
    nice_class=9,
    goods=("0901", "0907"),
    mark="LANXIN",
    owner=PATENTEE,
    valid_until=date(2030, 4, 13),
    status="registered",
)


def make_filing(**changes: object) -> PledgeFilingData:
    """Return a complete filing pledging INVENTION, with `changes` applied."""
    filing = PledgeFilingData(
        pledgor=PLEDGOR,
        pledgee=PLEDGEE,
        debt_type="working-capital loan",
        secured_amount=Decimal("5000000.00"),
        performance_deadline=date(2026, 3, 14),
        patents=(PATENT_NO,),
        trademarks=(),
        scope_of_guarantee="principal, interest, default interest and enforcement costs",
        filed_on=ON,
    )
    return replace(filing, **changes)  # type: ignore[arg-type]


def run(
    filing: PledgeFilingData | None = None,
    patents: Sequence[Patent] = (INVENTION,),
    trademarks: Sequence[Trademark] = (),
    active_pledges: Mapping[str, str] | None = None,
    owner_marks: Sequence[Trademark] | None = None,
) -> CheckResult:
    """Check `filing` against a register holding `patents` and `trademarks`."""
    return check_filing(
        filing or make_filing(),
        {p.number: p for p in patents},
        {t.number: t for t in trademarks},
        active_pledges or {},
        tuple(trademarks) if owner_marks is None else owner_marks,
        ON,
    )


def codes(result: CheckResult) -> list[tuple[str, str | None]]:
    """Return the (code, right) pairs of all findings."""
    return [(f.code, f.right) for f in result.findings]


def only(result: CheckResult) -> Finding:
    """Return the single finding of `result`."""
    assert len(result.findings) == 1, result.findings
    return result.findings[0]


def test_clean_filing_goes_to_green_channel() -> None:
    result = run()
    assert result.findings == ()
    assert result.is_clean
    assert result.outcome is Outcome.REGISTER
    assert not result.needs_examiner
    assert result.refusals == ()


def test_pledgor_not_patentee() -> None:
    result = run(patents=[replace(INVENTION, holders=(STRANGER,))])
    finding = only(result)
    assert (finding.code, finding.right) == (RefusalCode.PLEDGOR_NOT_PATENTEE, PATENT_NO)
    assert finding.severity is Severity.REFUSAL
    assert THIRD_USCC in finding.message
    assert result.outcome is Outcome.REFUSE
    assert result.refusals == (finding,)


def test_pledgor_among_several_holders_is_a_patentee() -> None:
    patent = replace(INVENTION, holders=(CO_OWNER, PATENTEE))
    assert run(make_filing(co_owner_consents=(CO_OWNER_USCC,)), patents=[patent]).is_clean


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("terminated", RefusalCode.RIGHT_TERMINATED),
        ("expired", RefusalCode.RIGHT_EXPIRED),
        ("invalid", RefusalCode.RIGHT_INVALID),
    ],
)
def test_patent_legal_status_refused(status: PatentStatus, code: RefusalCode) -> None:
    result = run(patents=[replace(INVENTION, legal_status=status)])
    assert codes(result) == [(code, PATENT_NO)]


def test_patent_whose_term_has_run_out_is_expired() -> None:
    old = replace(INVENTION, filing_date=date(2004, 3, 14), grant_date=date(2006, 1, 4))
    result = run(make_filing(performance_deadline=date(2024, 3, 16)), patents=[old])
    assert old.term_end == date(2024, 3, 13)
    assert (RefusalCode.RIGHT_EXPIRED, PATENT_NO) in codes(result)
    assert "2024-03-13" in result.findings[0].message


def test_patent_term_ending_today_is_still_in_force() -> None:
    last_day = replace(INVENTION, filing_date=date(2004, 3, 16), fees_paid_through=ON)
    assert last_day.term_end == ON
    result = run(make_filing(performance_deadline=ON), patents=[last_day])
    assert RefusalCode.RIGHT_EXPIRED not in [f.code for f in result.findings]


@pytest.mark.parametrize(
    "patent",
    [
        replace(INVENTION, grant_date=None, legal_status="pending"),
        replace(INVENTION, grant_date=None),
        replace(INVENTION, legal_status="pending"),
    ],
)
def test_patent_not_granted(patent: Patent) -> None:
    assert codes(run(patents=[patent])) == [(RefusalCode.PATENT_NOT_GRANTED, PATENT_NO)]


def test_fees_unpaid_within_grace_period_still_refused() -> None:
    result = run(patents=[replace(INVENTION, fees_paid_through=date(2024, 2, 29))])
    finding = only(result)
    assert (finding.code, finding.right) == (RefusalCode.PATENT_FEES_UNPAID, PATENT_NO)
    assert "grace period" in finding.message
    assert "still counts as unpaid" in finding.message
    assert "2024-09-01" in finding.message


def test_fees_unpaid_beyond_grace_period() -> None:
    result = run(patents=[replace(INVENTION, fees_paid_through=date(2023, 7, 19))])
    finding = only(result)
    assert finding.code == RefusalCode.PATENT_FEES_UNPAID
    assert "grace period ended on 2024-01-20" in finding.message


def test_fees_paid_through_today_are_paid() -> None:
    assert run(patents=[replace(INVENTION, fees_paid_through=ON)]).is_clean


def test_frozen_patent() -> None:
    result = run(patents=[replace(INVENTION, frozen=True)])
    assert codes(result) == [(RefusalCode.RIGHT_FROZEN, PATENT_NO)]


def test_deadline_beyond_patent_term() -> None:
    result = run(
        make_filing(patents=(UTILITY_NO,), performance_deadline=date(2028, 3, 2)), [UTILITY]
    )
    finding = only(result)
    assert (finding.code, finding.right) == (RefusalCode.DEADLINE_BEYOND_TERM, UTILITY_NO)
    assert "2028-03-01" in finding.message


def test_deadline_on_last_day_of_term_is_accepted() -> None:
    filing = make_filing(patents=(UTILITY_NO,), performance_deadline=date(2028, 3, 1))
    assert run(filing, [UTILITY]).is_clean


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pledgor": replace(PLEDGOR, name="")}, "pledgor.name"),
        ({"pledgor": replace(PLEDGOR, address="  ")}, "pledgor.address"),
        ({"pledgee": replace(PLEDGEE, name=" ")}, "pledgee.name"),
        ({"pledgee": replace(PLEDGEE, uscc="")}, "pledgee.uscc"),
        ({"pledgee": replace(PLEDGEE, address="")}, "pledgee.address"),
        ({"debt_type": ""}, "debt_type"),
        ({"secured_amount": Decimal("0")}, "secured_amount"),
        ({"secured_amount": Decimal("-1.00")}, "secured_amount"),
        ({"secured_amount": Decimal("100.005")}, "secured_amount"),
        ({"secured_amount": Decimal("NaN")}, "secured_amount"),
        ({"performance_deadline": ON}, "performance_deadline"),
        ({"patents": ()}, "patents/trademarks"),
        ({"scope_of_guarantee": "\n"}, "scope_of_guarantee"),
    ],
)
def test_contract_incomplete(changes: dict[str, object], field: str) -> None:
    result = run(make_filing(**changes))
    incomplete = [f for f in result.findings if f.code == RefusalCode.CONTRACT_INCOMPLETE]
    assert len(incomplete) == 1
    assert incomplete[0].right is None
    assert field in incomplete[0].message
    assert result.outcome is Outcome.REFUSE


def test_contract_incomplete_one_finding_per_field() -> None:
    filing = make_filing(pledgee=Party("", PLEDGEE_USCC, ""), debt_type=" ", scope_of_guarantee="")
    result = run(filing)
    assert codes(result) == [(RefusalCode.CONTRACT_INCOMPLETE, None)] * 4
    messages = " ".join(f.message for f in result.findings)
    for field in ("pledgee.name", "pledgee.address", "debt_type", "scope_of_guarantee"):
        assert field in messages


@pytest.mark.parametrize("amount", ["0.01", "100.5", "100.50", "1E+3", "2500000"])
def test_amounts_stated_to_the_fen_are_accepted(amount: str) -> None:
    assert run(make_filing(secured_amount=Decimal(amount))).is_clean


def test_co_owner_consent_missing() -> None:
    patent = replace(INVENTION, holders=(PATENTEE, CO_OWNER, STRANGER))
    result = run(make_filing(co_owner_consents=(THIRD_USCC,)), patents=[patent])
    finding = only(result)
    assert (finding.code, finding.right) == (RefusalCode.PATENT_CO_OWNER_CONSENT_MISSING, PATENT_NO)
    assert CO_OWNER.name in finding.message
    assert STRANGER.name not in finding.message
    assert finding.related == (CO_OWNER_USCC,)


def test_all_co_owners_consenting_is_clean() -> None:
    patent = replace(INVENTION, holders=(PATENTEE, CO_OWNER, STRANGER))
    filing = make_filing(co_owner_consents=(CO_OWNER_USCC, THIRD_USCC))
    assert run(filing, patents=[patent]).is_clean


def test_already_pledged_names_existing_registration() -> None:
    result = run(active_pledges={PATENT_NO: "Y2023310000123"})
    finding = only(result)
    assert (finding.code, finding.right) == (RefusalCode.RIGHT_ALREADY_PLEDGED, PATENT_NO)
    assert "Y2023310000123" in finding.message
    assert finding.related == ("Y2023310000123",)


def test_unknown_rights() -> None:
    filing = make_filing(patents=("202110999999.1",), trademarks=("99999999",))
    result = run(filing)
    assert codes(result) == [
        (RefusalCode.RIGHT_UNKNOWN, "202110999999.1"),
        (RefusalCode.RIGHT_UNKNOWN, "99999999"),
    ]


@pytest.mark.parametrize(
    ("code", "filing", "patent"),
    [
        (
            RefusalCode.PATENT_SAME_DAY_INVENTION_UTILITY,
            make_filing(same_day_utility_invention=(PATENT_NO,)),
            INVENTION,
        ),
        (
            RefusalCode.PATENT_INVALIDATION_PENDING,
            make_filing(),
            replace(INVENTION, invalidation_pending=True),
        ),
    ],
)
def test_warning_without_acknowledgement(
    code: RefusalCode, filing: PledgeFilingData, patent: Patent
) -> None:
    result = run(filing, patents=[patent])
    finding = only(result)
    assert (finding.code, finding.right) == (code, PATENT_NO)
    assert finding.severity is Severity.WARNING
    assert not finding.acknowledged
    assert result.refusals == (finding,)
    assert result.outcome is Outcome.NEEDS_ACKNOWLEDGEMENT
    assert not result.needs_examiner


@pytest.mark.parametrize(
    ("code", "filing", "patent"),
    [
        (
            RefusalCode.PATENT_SAME_DAY_INVENTION_UTILITY,
            make_filing(
                same_day_utility_invention=(PATENT_NO,),
                acknowledged=frozenset({"patent.same_day_invention_utility"}),
            ),
            INVENTION,
        ),
        (
            RefusalCode.PATENT_INVALIDATION_PENDING,
            make_filing(acknowledged=frozenset({RefusalCode.PATENT_INVALIDATION_PENDING})),
            replace(INVENTION, invalidation_pending=True),
        ),
    ],
)
def test_warning_with_acknowledgement(
    code: RefusalCode, filing: PledgeFilingData, patent: Patent
) -> None:
    result = run(filing, patents=[patent])
    finding = only(result)
    assert finding.code == code
    assert finding.acknowledged
    assert result.refusals == ()
    assert not result.is_clean
    assert result.outcome is Outcome.REGISTER
    assert result.needs_examiner


def test_acknowledging_one_warning_leaves_the_other_pending() -> None:
    filing = make_filing(
        same_day_utility_invention=(PATENT_NO,),
        acknowledged=frozenset({"patent.invalidation_pending"}),
    )
    result = run(filing, patents=[replace(INVENTION, invalidation_pending=True)])
    assert [f.code for f in result.refusals] == [RefusalCode.PATENT_SAME_DAY_INVENTION_UTILITY]
    assert result.outcome is Outcome.NEEDS_ACKNOWLEDGEMENT


def test_refusals_cannot_be_acknowledged() -> None:
    filing = make_filing(acknowledged=frozenset({"right.frozen"}))
    result = run(filing, patents=[replace(INVENTION, frozen=True)])
    assert not only(result).acknowledged
    assert result.outcome is Outcome.REFUSE


def test_acknowledged_warning_beside_refusal_still_refuses() -> None:
    filing = make_filing(acknowledged=frozenset({"patent.invalidation_pending"}))
    patent = replace(INVENTION, invalidation_pending=True, frozen=True)
    result = run(filing, patents=[patent])
    assert [f.code for f in result.refusals] == [RefusalCode.RIGHT_FROZEN]
    assert result.outcome is Outcome.REFUSE
    assert not result.needs_examiner


def test_several_failures_reported_together() -> None:
    patent = replace(
        INVENTION,
        holders=(CO_OWNER, STRANGER),
        frozen=True,
        fees_paid_through=date(2024, 1, 1),
        invalidation_pending=True,
    )
    filing = make_filing(
        patents=(PATENT_NO, UTILITY_NO, "202110999999.1"),
        debt_type="",
        performance_deadline=date(2029, 1, 1),
    )
    result = run(filing, patents=[patent, UTILITY], active_pledges={UTILITY_NO: "Y2022440000077"})
    assert codes(result) == [
        (RefusalCode.CONTRACT_INCOMPLETE, None),
        (RefusalCode.PLEDGOR_NOT_PATENTEE, PATENT_NO),
        (RefusalCode.PATENT_FEES_UNPAID, PATENT_NO),
        (RefusalCode.RIGHT_FROZEN, PATENT_NO),
        (RefusalCode.PATENT_INVALIDATION_PENDING, PATENT_NO),
        (RefusalCode.DEADLINE_BEYOND_TERM, UTILITY_NO),
        (RefusalCode.RIGHT_ALREADY_PLEDGED, UTILITY_NO),
        (RefusalCode.RIGHT_UNKNOWN, "202110999999.1"),
    ]
    assert len(result.refusals) == 8
    assert result.outcome is Outcome.REFUSE


def test_duplicate_right_numbers_are_checked_once() -> None:
    result = run(
        make_filing(patents=(PATENT_NO, PATENT_NO)), patents=[replace(INVENTION, frozen=True)]
    )
    assert codes(result) == [(RefusalCode.RIGHT_FROZEN, PATENT_NO)]


def mark_filing(*numbers: str, **changes: object) -> PledgeFilingData:
    """Return a filing pledging only the trademarks `numbers`."""
    return make_filing(patents=(), trademarks=numbers, **changes)


def test_clean_trademark_filing() -> None:
    assert run(mark_filing(MARK_NO), trademarks=[MARK]).is_clean


def test_pledgor_not_trademark_owner() -> None:
    result = run(mark_filing(MARK_NO), trademarks=[replace(MARK, owner=STRANGER)])
    finding = only(result)
    assert (finding.code, finding.right) == (RefusalCode.PLEDGOR_NOT_OWNER, MARK_NO)
    assert THIRD_USCC in finding.message


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("revoked", RefusalCode.TRADEMARK_REVOKED),
        ("cancelled", RefusalCode.TRADEMARK_CANCELLED),
        ("expired", RefusalCode.TRADEMARK_EXPIRED),
    ],
)
def test_trademark_status_refused(status: TrademarkStatus, code: RefusalCode) -> None:
    result = run(mark_filing(MARK_NO), trademarks=[replace(MARK, status=status)])
    assert codes(result) == [(code, MARK_NO)]


def test_trademark_past_validity_not_renewed_is_expired() -> None:
    lapsed = replace(MARK, valid_until=date(2024, 3, 14))
    filing = mark_filing(MARK_NO, performance_deadline=date(2024, 3, 16))
    result = run(filing, trademarks=[lapsed])
    assert (RefusalCode.TRADEMARK_EXPIRED, MARK_NO) in codes(result)


def test_frozen_trademark() -> None:
    result = run(mark_filing(MARK_NO), trademarks=[replace(MARK, frozen=True)])
    assert codes(result) == [(RefusalCode.RIGHT_FROZEN, MARK_NO)]


def test_deadline_beyond_trademark_validity() -> None:
    filing = mark_filing(MARK_NO, performance_deadline=date(2030, 4, 14))
    result = run(filing, trademarks=[MARK])
    assert codes(result) == [(RefusalCode.DEADLINE_BEYOND_TERM, MARK_NO)]


def test_trademark_already_pledged() -> None:
    result = run(mark_filing(MARK_NO), trademarks=[MARK], active_pledges={MARK_NO: "Z2023000456"})
    finding = only(result)
    assert (finding.code, finding.right) == (RefusalCode.RIGHT_ALREADY_PLEDGED, MARK_NO)
    assert "Z2023000456" in finding.message


SAME_TEXT_SHARED_GROUP = replace(MARK, number="23456790", nice_class=42, goods=("4220", "0901"))
SAME_TEXT_SAME_CLASS = replace(MARK, number="23456791", mark="Lanxin", goods=("0913",))
OTHER_TEXT_SAME_GOODS = replace(MARK, number="23456792", mark="BLUECORE")
SAME_TEXT_OTHER_GOODS = replace(MARK, number="23456793", nice_class=35, goods=("3501",))
SAME_TEXT_CANCELLED = replace(MARK, number="23456794", status="cancelled")
SAME_TEXT_OTHER_OWNER = replace(MARK, number="23456795", owner=STRANGER)
PORTFOLIO = (
    MARK,
    SAME_TEXT_SHARED_GROUP,
    SAME_TEXT_SAME_CLASS,
    OTHER_TEXT_SAME_GOODS,
    SAME_TEXT_OTHER_GOODS,
    SAME_TEXT_CANCELLED,
    SAME_TEXT_OTHER_OWNER,
)


def test_similar_marks_omitted_names_the_missed_marks() -> None:
    result = run(mark_filing(MARK_NO), trademarks=[MARK], owner_marks=PORTFOLIO)
    omitted, possible = result.findings
    assert (omitted.code, omitted.right) == (RefusalCode.TRADEMARK_SIMILAR_MARKS_OMITTED, MARK_NO)
    assert omitted.related == ("23456790",)
    assert "23456790" in omitted.message
    assert "23456792" not in omitted.message
    assert (possible.code, possible.severity) == (
        RefusalCode.TRADEMARK_SIMILAR_MARKS_POSSIBLE,
        Severity.WARNING,
    )
    assert possible.related == ("23456791",)
    assert result.outcome is Outcome.REFUSE


def test_similar_marks_pledged_together_are_clean() -> None:
    filing = mark_filing(MARK_NO, "23456790", "23456791")
    result = run(filing, trademarks=PORTFOLIO, owner_marks=PORTFOLIO)
    assert result.is_clean


def test_similar_marks_partly_included_lists_only_the_rest() -> None:
    filing = mark_filing(MARK_NO, "23456791")
    result = run(filing, trademarks=PORTFOLIO, owner_marks=PORTFOLIO)
    finding = only(result)
    assert (finding.code, finding.right) == (RefusalCode.TRADEMARK_SIMILAR_MARKS_OMITTED, MARK_NO)
    assert finding.related == ("23456790",)


MOONLENS = replace(MARK, number="30000001", mark="MOONLENS", goods=("0901",))
MOONLENS_PRO = replace(MARK, number="30000002", mark="MOONLENS PRO", goods=("0901", "0907"))


def test_moonlens_pro_on_the_same_goods_must_be_pledged_with_moonlens() -> None:
    portfolio = (MOONLENS, MOONLENS_PRO)
    result = run(mark_filing(MOONLENS.number), trademarks=portfolio, owner_marks=portfolio)
    finding = only(result)
    assert (finding.code, finding.right, finding.related) == (
        RefusalCode.TRADEMARK_SIMILAR_MARKS_OMITTED,
        MOONLENS.number,
        (MOONLENS_PRO.number,),
    )
    assert result.outcome is Outcome.REFUSE
    together = mark_filing(MOONLENS.number, MOONLENS_PRO.number)
    assert run(together, trademarks=portfolio, owner_marks=portfolio).is_clean


@pytest.mark.parametrize(
    "text", ["MOONLENSTAR", "MOONLENZ", "Moon Lenz"], ids=["longer", "one-letter", "spaced"]
)
def test_a_borderline_mark_on_the_same_goods_is_held_for_the_examiner(text: str) -> None:
    other = replace(MOONLENS_PRO, mark=text)
    portfolio = (MOONLENS, other)
    result = run(mark_filing(MOONLENS.number), trademarks=portfolio, owner_marks=portfolio)
    finding = only(result)
    assert (finding.code, finding.severity, finding.related) == (
        RefusalCode.TRADEMARK_SIMILAR_MARKS_POSSIBLE,
        Severity.WARNING,
        (other.number,),
    )
    assert result.outcome is Outcome.NEEDS_ACKNOWLEDGEMENT


def test_an_examiner_acknowledged_borderline_mark_lets_the_filing_through() -> None:
    other = replace(MOONLENS_PRO, mark="MOONLENSTAR")
    portfolio = (MOONLENS, other)
    filing = mark_filing(
        MOONLENS.number, acknowledged=frozenset({RefusalCode.TRADEMARK_SIMILAR_MARKS_POSSIBLE})
    )
    result = run(filing, trademarks=portfolio, owner_marks=portfolio)
    assert only(result).acknowledged
    assert result.outcome is Outcome.REGISTER


def test_marks_in_other_classes_or_with_other_words_need_not_go_together() -> None:
    elsewhere = replace(MOONLENS_PRO, nice_class=35, goods=("3501",))
    unrelated = replace(MOONLENS_PRO, number="30000003", mark="SUNGLASS WORKS")
    portfolio = (MOONLENS, elsewhere, unrelated)
    assert run(mark_filing(MOONLENS.number), trademarks=portfolio, owner_marks=portfolio).is_clean


def test_mixed_patent_and_trademark_filing_is_clean() -> None:
    filing = make_filing(patents=(PATENT_NO, UTILITY_NO), trademarks=(MARK_NO,))
    result = run(filing, patents=[INVENTION, UTILITY], trademarks=[MARK])
    assert result.is_clean
    assert result.outcome is Outcome.REGISTER


def test_mixed_filing_reports_patent_and_trademark_findings() -> None:
    filing = make_filing(patents=(PATENT_NO, UTILITY_NO), trademarks=(MARK_NO,))
    result = run(
        filing,
        patents=[INVENTION, replace(UTILITY, legal_status="terminated")],
        trademarks=[replace(MARK, frozen=True)],
        owner_marks=PORTFOLIO,
    )
    assert codes(result) == [
        (RefusalCode.RIGHT_TERMINATED, UTILITY_NO),
        (RefusalCode.RIGHT_FROZEN, MARK_NO),
        (RefusalCode.TRADEMARK_SIMILAR_MARKS_OMITTED, MARK_NO),
        (RefusalCode.TRADEMARK_SIMILAR_MARKS_POSSIBLE, MARK_NO),
    ]


@pytest.mark.parametrize(
    ("kind", "filed", "term_end"),
    [
        ("invention", date(2017, 7, 20), date(2037, 7, 19)),
        ("utility_model", date(2018, 3, 2), date(2028, 3, 1)),
        ("design", date(2021, 5, 31), date(2031, 5, 30)),
        ("design", date(2021, 6, 1), date(2036, 5, 31)),
        ("invention", date(2020, 2, 29), date(2040, 2, 28)),
        ("utility_model", date(2020, 2, 29), date(2030, 2, 28)),
    ],
)
def test_term_end(kind: PatentKind, filed: date, term_end: date) -> None:
    assert replace(INVENTION, kind=kind, filing_date=filed).term_end == term_end


@pytest.mark.parametrize(
    ("filed", "deadline_ok"),
    [(date(2021, 5, 31), False), (date(2021, 6, 1), True)],
)
def test_design_term_decides_deadline(filed: date, deadline_ok: bool) -> None:
    design = replace(INVENTION, kind="design", filing_date=filed, grant_date=date(2021, 12, 3))
    result = run(make_filing(performance_deadline=date(2033, 1, 1)), patents=[design])
    assert result.is_clean is deadline_ok
    if not deadline_ok:
        assert codes(result) == [(RefusalCode.DEADLINE_BEYOND_TERM, PATENT_NO)]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 20), 6, date(2024, 7, 20)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2023, 12, 31), 2, date(2024, 2, 29)),
        (date(2024, 7, 1), 6, date(2025, 1, 1)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_register_rejects_unknown_kind_and_status() -> None:
    with pytest.raises(ValueError):
        replace(INVENTION, kind="plant_variety")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        replace(MARK, status="suspended")  # type: ignore[arg-type]


SAME_DAY_UTILITY = replace(
    UTILITY, number="201720901234.5", filing_date=INVENTION.filing_date, same_day_twin=PATENT_NO
)


def test_a_registered_same_day_twin_raises_the_warning_naming_it() -> None:
    result = check_filing(
        make_filing(), {PATENT_NO: INVENTION}, {}, {}, (), ON, twins={PATENT_NO: SAME_DAY_UTILITY}
    )
    finding = only(result)
    assert (finding.code, finding.right, finding.related) == (
        RefusalCode.PATENT_SAME_DAY_INVENTION_UTILITY,
        PATENT_NO,
        (SAME_DAY_UTILITY.number,),
    )
    assert SAME_DAY_UTILITY.number in finding.message
    assert result.outcome is Outcome.NEEDS_ACKNOWLEDGEMENT


@pytest.mark.parametrize(
    "twin",
    [
        replace(SAME_DAY_UTILITY, filing_date=date(2017, 7, 21)),
        replace(SAME_DAY_UTILITY, holders=(STRANGER,)),
        replace(SAME_DAY_UTILITY, kind="invention"),
    ],
    ids=["another-day", "another-applicant", "not-a-utility-model"],
)
def test_a_linked_entry_that_is_no_same_day_pair_raises_nothing(twin: Patent) -> None:
    result = check_filing(
        make_filing(), {PATENT_NO: INVENTION}, {}, {}, (), ON, twins={PATENT_NO: twin}
    )
    assert result.is_clean
