"""Laws of the domain that hold for every input, checked on many generated ones.

Each law is one a bank, an insurer or the registry relies on: losses are shared out to the
last fen, deadlines counted forward count back to the same number of working days, a
mistyped identifier never passes its check character, a valuation's range holds its central
value, and amounts are carried to the fen. The examples are derived from a fixed seed, so a
run fails or passes the same way every time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.credit.domain.events import ClaimRaised, LoanDefaulted
from services.credit.domain.policy import CreditRequest, RightAppraisal, decide
from services.credit.domain.programmes import Programme, allocate_loss
from services.valuation.adapters.parameters import load_parameters
from services.valuation.domain import BankInputs, Comparable, RightFacts, value_bundle, value_right
from services.valuation.domain.signoff import ValueRange, allocate_pro_rata, spread_range
from shared.identifiers import (
    USCC_ALPHABET,
    is_valid_uscc,
    normalize_uscc,
    parse_patent_number,
    patent_check_digit,
    uscc_check_character,
)
from shared.money import FEN, MoneyRefused, MoneyText, format_money
from shared.workdays import (
    OfficialCalendar,
    count_deadline,
    deadline_for,
    working_days_elapsed,
)
from tests.calendars import SCHEDULE_2027, SCHEDULE_2031
from tests.unit.test_credit_domain import HANGZHOU, POLICY
from tests.unit.test_credit_servicing import disbursed_loan

LAWS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- money -----------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2)
positive_amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("9999999999.99"), places=2
)


@st.composite
def shares_of_one(draw: st.DrawFn) -> tuple[tuple[str, Decimal], ...]:
    """Two to five parties whose shares, in hundredths, add up to exactly one."""
    parties = draw(st.integers(min_value=1, max_value=5))
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=parties - 1, max_size=parties - 1)))
    bounds = [0, *cuts, 100]
    names = ["insurer", "bank", "guarantor", "fund", "province"]
    return tuple(
        (names[i], Decimal(bounds[i + 1] - bounds[i]) / 100) for i in range(len(bounds) - 1)
    )


@LAWS
@given(loss=amounts, shares=shares_of_one())
def test_claims_always_sum_to_the_loss_and_no_party_pays_a_fen_beyond_its_share(
    loss: Decimal, shares: tuple[tuple[str, Decimal], ...]
) -> None:
    claims = allocate_loss(loss, shares)
    assert sum(c.amount for c in claims) == loss
    assert [(c.party, c.share) for c in claims] == list(shares)
    largest = max(range(len(shares)), key=lambda i: (shares[i][1], -i))
    for i, claim in enumerate(claims):
        exact = loss * claim.share
        assert claim.amount == claim.amount.quantize(FEN)
        if i == largest:
            # the fen left over by rounding down go to the largest share, fewer than one each
            assert exact - FEN < claim.amount < exact + FEN * len(shares)
        else:
            assert claim.amount == exact.quantize(FEN, ROUND_DOWN)


@LAWS
@given(
    repaid=st.decimals(min_value=0, max_value=Decimal("299999.99"), places=2),
    recovered_share=st.decimals(min_value=0, max_value=1, places=3),
    shares=shares_of_one(),
)
def test_a_default_raises_claims_that_sum_to_the_loss_it_publishes(
    repaid: Decimal, recovered_share: Decimal, shares: tuple[tuple[str, Decimal], ...]
) -> None:
    loan = disbursed_loan("scheme")
    assert loan.disbursed_at is not None
    now = loan.disbursed_at + timedelta(days=90)
    if repaid:
        loan.record_repayment("r-1", repaid, now - timedelta(days=1), HANGZHOU, now)
    outstanding = loan.outstanding_principal
    assert outstanding is not None
    recovered = (outstanding * recovered_share).quantize(FEN, ROUND_DOWN)
    loan.declare_default(now, recovered, Programme("scheme", shares), now)
    events = [e for _, e in loan.collect_events()]
    [defaulted] = [e for e in events if isinstance(e, LoanDefaulted)]
    claims = [e for e in events if isinstance(e, ClaimRaised)]
    assert defaulted.loss == outstanding - recovered
    assert sum(c.amount for c in claims) == defaulted.loss
    assert len(claims) == (len(shares) if defaulted.loss else 0)


@LAWS
@given(amount=amounts)
def test_an_amount_answered_to_the_fen_reads_back_as_the_same_amount(amount: Decimal) -> None:
    text = format_money(amount)
    whole, _, fen = text.partition(".")
    assert len(fen) == 2 and whole.isdigit()
    assert MoneyText(positive=False)(text) == amount
    if amount:
        assert MoneyText(positive=True)(text) == amount


@LAWS
@given(amount=amounts, extra=st.integers(min_value=1, max_value=9))
def test_an_amount_with_a_third_decimal_is_refused_not_rounded(amount: Decimal, extra: int) -> None:
    text = f"{format_money(amount)}{extra}"
    for parse in (MoneyText(positive=False), MoneyText(positive=True)):
        try:
            parse(text)
        except MoneyRefused as refused:
            assert refused.code == "money.format"
        else:
            raise AssertionError(f"{text} was accepted")


@LAWS
@given(
    total=amounts,
    weights=st.lists(st.decimals(min_value=0, max_value=10**9, places=2), min_size=1, max_size=6),
)
def test_a_total_spread_pro_rata_keeps_every_fen(total: Decimal, weights: list[Decimal]) -> None:
    parts = allocate_pro_rata(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 and p == p.quantize(FEN) for p in parts)
    weight = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        exact = total * w / weight if weight else total / len(weights)
        assert abs(part - exact) < FEN


@LAWS
@given(
    amount=positive_amounts,
    rate=st.decimals(min_value=0, max_value=Decimal("0.1"), places=4),
    months=st.integers(min_value=1, max_value=60),
)
def test_a_premium_is_the_exact_premium_rounded_to_the_nearest_fen(
    amount: Decimal, rate: Decimal, months: int
) -> None:
    premium = Programme("p", (("bank", Decimal(1)),), premium_rate=rate).premium(amount, months)
    exact = amount * rate * months / 12
    assert premium == premium.quantize(FEN)
    assert abs(premium - exact) <= FEN / 2


@LAWS
@given(
    central=st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2),
    requested=positive_amounts,
)
def test_a_bank_never_lends_a_fen_beyond_its_loan_to_value_cap(
    central: Decimal, requested: Decimal
) -> None:
    right = RightAppraisal("ZL201910000001.X", "invention", central, None, date(2045, 1, 1))
    decision = decide(POLICY, CreditRequest(requested, 12, "small"), (right,), date(2026, 3, 2))
    cap = central * POLICY.ltv_caps["invention"]
    ceiling = min(cap, POLICY.max_amount, requested)
    assert decision.ceiling == ceiling.quantize(FEN, ROUND_DOWN)
    assert ceiling - FEN < decision.ceiling <= ceiling
    if decision.outcome == "approve":
        assert decision.approved_amount == decision.ceiling >= POLICY.min_amount
    else:
        assert decision.approved_amount == 0


# --- working days ----------------------------------------------------------------------------


def _official_calendar() -> OfficialCalendar:
    """The library's years, the official notices for 2027 and 2031, the statutory rule after."""
    calendar = OfficialCalendar()
    for body, year in ((SCHEDULE_2027, 2027), (SCHEDULE_2031, 2031)):
        calendar.load_year(
            year,
            [date.fromisoformat(d) for d in body["holidays"]],
            [date.fromisoformat(d) for d in body["makeup_workdays"]],
        )
    return calendar


CALENDAR = _official_calendar()
days = st.dates(min_value=date(2024, 12, 1), max_value=date(2032, 6, 30))
instants = st.datetimes(
    min_value=datetime(2024, 12, 1), max_value=datetime(2032, 6, 30), timezones=st.just(UTC)
)


@LAWS
@given(start=days, n=st.integers(min_value=0, max_value=45))
def test_adding_n_working_days_then_counting_back_gives_n(start: date, n: int) -> None:
    end = CALENDAR.add_working_days(start, n)
    assert CALENDAR.working_days_between(start, end) == n
    if n:
        assert CALENDAR.is_working_day(end)
        assert CALENDAR.working_days_between(start, end - timedelta(days=1)) == n - 1
    else:
        assert end == start


@LAWS
@given(start=days, a=st.integers(0, 25), b=st.integers(0, 25))
def test_working_days_add_up_in_steps(start: date, a: int, b: int) -> None:
    assert CALENDAR.add_working_days(CALENDAR.add_working_days(start, a), b) == (
        CALENDAR.add_working_days(start, a + b)
    )


@LAWS
@given(received=instants, n=st.integers(min_value=0, max_value=30))
def test_a_deadline_n_working_days_away_has_n_working_days_elapsed_when_it_ends(
    received: datetime, n: int
) -> None:
    due = deadline_for(received, n, CALENDAR)
    assert count_deadline(received, n, CALENDAR).at == due
    assert working_days_elapsed(received, due, CALENDAR) == n
    if n:
        assert working_days_elapsed(received, due - timedelta(microseconds=1), CALENDAR) == n - 1


# --- identifiers -----------------------------------------------------------------------------

uscc_bodies = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@LAWS
@given(body=uscc_bodies, data=st.data())
def test_a_uscc_with_its_check_character_passes_and_any_one_changed_character_fails(
    body: str, data: st.DataObject
) -> None:
    code = body + uscc_check_character(body)
    assert normalize_uscc(code.lower()) == code and is_valid_uscc(code)
    position = data.draw(st.integers(0, 17), label="position")
    other = data.draw(st.sampled_from(USCC_ALPHABET.replace(code[position], "")), label="to")
    assert not is_valid_uscc(code[:position] + other + code[position + 1 :])


@st.composite
def patent_digits(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        year = draw(st.integers(2003, 2030))
        return f"{year}{draw(st.sampled_from('12389'))}{draw(st.integers(0, 9999999)):07d}"
    year = draw(st.sampled_from([*range(85, 100), 0, 1, 2, 3]))
    return f"{year:02d}{draw(st.sampled_from('123'))}{draw(st.integers(0, 99999)):05d}"


@LAWS
@given(digits=patent_digits(), data=st.data())
def test_a_patent_number_with_its_check_digit_passes_and_any_one_changed_digit_fails(
    digits: str, data: st.DataObject
) -> None:
    written = f"{digits}.{patent_check_digit(digits)}"
    assert parse_patent_number(f"CN{written}").canonical == written
    position = data.draw(st.sampled_from([i for i, ch in enumerate(written) if ch != "."]))
    alphabet = "0123456789X" if position == len(written) - 1 else "0123456789"
    other = data.draw(st.sampled_from(alphabet.replace(written[position], "")))
    changed = written[:position] + other + written[position + 1 :]
    try:
        parse_patent_number(changed)
    except ValueError:
        return
    raise AssertionError(f"{changed} passed its check digit")


# --- valuation -------------------------------------------------------------------------------

PARAMETERS = load_parameters("2026.2")
VALUED_ON = date(2026, 6, 1)


@st.composite
def patents(draw: st.DrawFn, number: str = "ZL202010000001.1") -> RightFacts:
    filed = draw(st.dates(date(2006, 7, 1), date(2026, 5, 1)))
    return RightFacts(
        right_type="patent",
        number=number,
        patent_kind=draw(st.sampled_from(["invention", "utility_model", "design"])),
        filing_date=filed,
        grant_date=filed + timedelta(days=draw(st.integers(0, 900))),
        expiry_date=filed + timedelta(days=draw(st.integers(3650, 7300))),
        legal_status="valid",
        claims=draw(st.integers(0, 60)),
        family_size=draw(st.integers(0, 12)),
        foreign_filings=draw(st.integers(0, 6)),
        citations=draw(st.integers(0, 40)),
        licences=draw(st.integers(0, 6)),
        maturity=draw(st.sampled_from(["lab", "pilot", "mass_production"])),
        main_ipc="H01M10/05",
    )


@st.composite
def bank_inputs(draw: st.DrawFn) -> BankInputs:
    comparables = draw(
        st.lists(
            st.builds(
                Comparable,
                st.decimals(min_value=0, max_value=10**8, places=2),
                st.decimals(min_value=0, max_value=1, places=2),
            ),
            max_size=4,
        )
    )
    return BankInputs(
        annual_revenue=draw(st.decimals(min_value=0, max_value=10**9, places=2)),
        revenue_growth=draw(st.decimals(min_value=Decimal("-0.5"), max_value=1, places=2)),
        industry="default",
        high_tech=draw(st.booleans()),
        comparables=tuple(comparables),
        replacement_cost=draw(st.none() | st.decimals(min_value=0, max_value=10**8, places=2)),
    )


@LAWS
@given(facts=patents(), inputs=bank_inputs())
def test_a_valuation_range_brackets_its_central_value_to_the_fen(
    facts: RightFacts, inputs: BankInputs
) -> None:
    valued = value_right(facts, inputs, PARAMETERS, VALUED_ON)
    assert 0 <= valued.low <= valued.central <= valued.high
    for figure in (valued.low, valued.central, valued.high):
        assert figure == figure.quantize(FEN)


@LAWS
@given(first=patents(), second=patents("ZL202110000002.5"), inputs=bank_inputs())
def test_a_bundle_range_brackets_its_central_value_which_sums_its_rights(
    first: RightFacts, second: RightFacts, inputs: BankInputs
) -> None:
    bundle = value_bundle(
        [first, second], {first.number: inputs, second.number: inputs}, PARAMETERS, VALUED_ON
    )
    assert bundle.low <= bundle.central <= bundle.high
    assert bundle.central == sum(r.central for r in bundle.rights)


@st.composite
def value_ranges(draw: st.DrawFn) -> ValueRange:
    central = draw(st.decimals(min_value=0, max_value=10**8, places=2))
    low = draw(st.decimals(min_value=0, max_value=central, places=2))
    high = draw(st.decimals(min_value=central, max_value=central * 2 + 1, places=2))
    return ValueRange(low, central, high)


@LAWS
@given(parts=st.lists(value_ranges(), min_size=1, max_size=5), target=value_ranges())
def test_an_appraiser_s_range_spread_over_the_rights_keeps_each_range_around_its_centre(
    parts: list[ValueRange], target: ValueRange
) -> None:
    spread = spread_range(parts, target)
    assert sum(p.central for p in spread) == target.central
    assert sum(p.low for p in spread) == target.low
    assert sum(p.high for p in spread) == target.high
    assert all(p.low <= p.central <= p.high for p in spread)
