"""The rules every text field and every amount follow, and the patterns that publish them."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from shared.money import MoneyRefused, MoneyText, format_money
from shared.text import LINE_PATTERN, MESSAGE_PATTERN, TextRefused, clean_line, clean_message


@pytest.mark.parametrize(
    "text",
    [
        *("a\x00b", "a\x1fb", "a\x7fb", "a\x9fb", "a\u202eb", "a\u2066b", "a\u2028b"),
        *("a\ufeffb", "a\tb", "a\nb", "a\rb"),
    ],
)
def test_a_line_refuses_controls_and_separators_as_its_pattern_says(text: str) -> None:
    with pytest.raises(TextRefused) as refused:
        clean_line(text)

    assert refused.value.code == "text.control_character"
    assert re.fullmatch(LINE_PATTERN, text) is None


def test_an_unpaired_surrogate_cannot_be_stored_and_is_refused() -> None:
    with pytest.raises(TextRefused) as refused:
        clean_line("a\ud800b")

    assert refused.value.code == "text.unpaired_surrogate"


@pytest.mark.parametrize("text", ["", " ", "\u3000\u00a0", " \u2003 "])
def test_a_blank_line_or_message_is_refused(text: str) -> None:
    with pytest.raises(TextRefused, match="blank"):
        clean_line(text)
    with pytest.raises(TextRefused, match="blank"):
        clean_message(text)
    assert re.fullmatch(LINE_PATTERN, text) is None
    assert re.fullmatch(MESSAGE_PATTERN, text) is None


@pytest.mark.parametrize(
    "text",
    ["上海镜片光学有限公司", 'O\'Brien "Optics" \\ <b>', "Café e\u0301", "😀👩\u200d🔬", " ACME "],
)
def test_a_line_keeps_any_printable_text_without_surrounding_space(text: str) -> None:
    assert clean_line(text) == text.strip()
    assert re.fullmatch(LINE_PATTERN, text) is not None


def test_a_message_keeps_line_breaks_and_tabs_and_stores_lf() -> None:
    assert clean_message(" first\r\nsecond\rthird\n\tfourth ") == "first\nsecond\nthird\n\tfourth"
    assert re.fullmatch(MESSAGE_PATTERN, "first\r\nsecond\tthird") is not None
    with pytest.raises(TextRefused):
        clean_message("first\x00second")


POSITIVE = MoneyText(positive=True)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("500000.5", "500000.50"), ("0.01", "0.01"), ("9999999999999999.99", "9999999999999999.99")],
)
def test_an_amount_is_read_to_the_fen(text: str, amount: str) -> None:
    assert format_money(POSITIVE(text)) == amount
    assert re.fullmatch(POSITIVE.pattern, text) is not None


@pytest.mark.parametrize("value", [500000.5, 500000, True, None, ["1.00"]])
def test_an_amount_that_is_not_a_string_is_refused(value: object) -> None:
    with pytest.raises(MoneyRefused) as refused:
        POSITIVE(value)

    assert refused.value.code == "money.not_a_string"


@pytest.mark.parametrize(
    "text",
    ["0", "0.00", "1.001", "1e3", "-1.00", "+1.00", "\uff11.00", "1 000.00", "0x10", "01.00"],
)
def test_an_amount_string_of_another_form_is_refused_as_its_pattern_says(text: str) -> None:
    with pytest.raises(MoneyRefused) as refused:
        POSITIVE(text)

    assert refused.value.code == "money.format"
    assert re.fullmatch(POSITIVE.pattern, text) is None


def test_amounts_are_answered_with_two_decimals() -> None:
    assert format_money(Decimal("1E+6")) == "1000000.00"
    assert format_money(Decimal("-0.5")) == "-0.50"
